'use strict';
// A BIND through a SOCKS proxy with the npm package 'socks', for BindWithNodeSocksEndToEndTest.
//
// Usage: node socks-bind.js PROXY_HOST PROXY_PORT SOCKS_VERSION(4|5) EXPECTED_PEER
//
// Prints one line per step on standard output:
//   bound HOST PORT         the first reply: where the proxy listens for the peer
//   established HOST PORT   the second reply: the peer that connected
//   received BYTES SHA256   everything the peer sent, once the peer ended its output
//   error MESSAGE           any failure (then exits with status 1)
// Every byte the peer sends is echoed back to it, and this side ends its output after the
// peer's. Exits with status 0 when the tunnel has closed after all that.
const crypto = require('crypto');
const { SocksClient } = require('socks');

const [proxyHost, proxyPort, version, expectedPeer] = process.argv.slice(2);

function fail(message) {
  console.log(`error ${message}`);
  process.exit(1);
}

// The test destroys this process when it gives up; this only bounds a run left alone.
setTimeout(() => fail('no result within 30 s'), 30000).unref();

const client = new SocksClient({
  proxy: { host: proxyHost, port: Number(proxyPort), type: Number(version) },
  command: 'bind',
  destination: { host: expectedPeer, port: 0 },
  timeout: 10000,
});
client.on('error', (err) => fail(err.message));
client.on('bound', (info) => console.log(`bound ${info.remoteHost.host} ${info.remoteHost.port}`));
client.on('established', (info) => {
  console.log(`established ${info.remoteHost.host} ${info.remoteHost.port}`);
  const socket = info.socket;
  const digest = crypto.createHash('sha256');
  let bytes = 0;
  socket.on('data', (chunk) => {
    bytes += chunk.length;
    digest.update(chunk);
  });
  socket.on('end', () => console.log(`received ${bytes} ${digest.digest('hex')}`));
  socket.on('error', (err) => fail(err.message));
  socket.on('close', () => process.exit(0));
  socket.pipe(socket);
});
client.connect();

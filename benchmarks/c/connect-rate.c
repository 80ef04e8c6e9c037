/*
 * connect-rate: new SOCKS5 tunnels per second, and an echo target, in C with epoll, so that the
 * load side costs far less CPU than the Java load generator (which, on the core it shares with
 * its targets, tops out near 6,000 tunnels/s, below what direct loopback and the proxies do).
 *
 *   connect-rate echo PORT
 *       An echo server on 127.0.0.1:PORT until killed.
 *   connect-rate run TARGET_PORT [PROXY_PORT|0] CONCURRENCY WARMUP_S DURATION_S [USER PASSWORD]
 *       CONCURRENCY clients, each in a loop: connect, SOCKS5 greeting (no auth, or RFC 1929 with
 *       USER/PASSWORD), CONNECT 127.0.0.1:TARGET_PORT, 64 B out, 64 B back, close; PROXY_PORT 0
 *       goes to the target directly (the 64 B echo only). After WARMUP_S seconds it counts for
 *       DURATION_S seconds and prints one JSON line: tunnels, seconds, tunnels_per_second, errors.
 *
 * Everything is on 127.0.0.1. Every step waits for the previous reply, as curl and browsers do.
 * The run is bounded by WARMUP_S + DURATION_S; a connection that fails is counted and replaced.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD 64
#define MAX_CLIENTS 4096

enum step { CONNECTING, GREETING, LOGIN, REQUEST, ECHO };

struct client {
    int fd;
    enum step step;
    unsigned char buf[600];
    size_t want; /* bytes the current step reads */
    size_t got;
};

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int echo_server(int port) {
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = loopback(port);
    if (bind(listener, (struct sockaddr *)&a, sizeof a) < 0 || listen(listener, 4096) < 0) {
        perror("echo: bind/listen");
        return 1;
    }
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
    printf("{\"echo\":%d}\n", port);
    fflush(stdout);
    struct epoll_event events[256];
    char buf[16384];
    for (;;) {
        int n = epoll_wait(ep, events, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                int c;
                while ((c = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                }
                continue;
            }
            ssize_t r = read(fd, buf, sizeof buf);
            if (r > 0) {
                /* 64 B echoes fit any socket buffer: a short write does not happen here. */
                if (write(fd, buf, r) != r) {
                    close(fd);
                }
            } else if (r == 0 || errno != EAGAIN) {
                close(fd);
            }
        }
    }
}

static int proxy_port, target_port, ulen, plen;
static const char *user, *password;
static int ep;
static long tunnels, errors;
static int counting;

static void start(struct client *c) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = loopback(proxy_port ? proxy_port : target_port);
    connect(c->fd, (struct sockaddr *)&a, sizeof a); /* EINPROGRESS: EPOLLOUT says when */
    c->step = CONNECTING;
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void restart(struct client *c, int failed) {
    close(c->fd);
    if (failed && counting) {
        errors++;
    }
    start(c);
}

/* Sends what the next step needs and waits for `want` bytes of reply. */
static int send_step(struct client *c, enum step step, const void *bytes, size_t length, size_t want) {
    c->step = step;
    c->want = want;
    c->got = 0;
    return write(c->fd, bytes, length) == (ssize_t)length ? 0 : -1;
}

static int send_payload(struct client *c) {
    static unsigned char payload[PAYLOAD];
    return send_step(c, ECHO, payload, PAYLOAD, PAYLOAD);
}

static int send_request(struct client *c) {
    unsigned char req[10] = {5, 1, 0, 1, 127, 0, 0, 1, target_port >> 8, target_port & 0xFF};
    return send_step(c, REQUEST, req, sizeof req, 10);
}

/* The reply of the current step is complete: check it and go on. -1 on a protocol error. */
static int advance(struct client *c) {
    switch (c->step) {
    case GREETING:
        if (c->buf[0] != 5 || c->buf[1] != (user ? 2 : 0)) {
            return -1;
        }
        if (user) {
            unsigned char login[515];
            size_t n = 0;
            login[n++] = 1;
            login[n++] = ulen;
            memcpy(login + n, user, ulen);
            n += ulen;
            login[n++] = plen;
            memcpy(login + n, password, plen);
            n += plen;
            return send_step(c, LOGIN, login, n, 2);
        }
        return send_request(c);
    case LOGIN:
        return c->buf[0] == 1 && c->buf[1] == 0 ? send_request(c) : -1;
    case REQUEST:
        return c->buf[0] == 5 && c->buf[1] == 0 && c->buf[3] == 1 ? send_payload(c) : -1;
    case ECHO:
        if (counting) {
            tunnels++;
        }
        restart(c, 0);
        return 0;
    default:
        return -1;
    }
}

static void on_event(struct client *c, unsigned events) {
    if (c->step == CONNECTING) {
        int error = 0;
        socklen_t len = sizeof error;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &len);
        if (error || (events & (EPOLLERR | EPOLLHUP))) {
            restart(c, 1);
            return;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        unsigned char greeting[3] = {5, 1, user ? 2 : 0};
        int sent = proxy_port ? send_step(c, GREETING, greeting, 3, 2) : send_payload(c);
        if (sent < 0) {
            restart(c, 1);
        }
        return;
    }
    ssize_t r = read(c->fd, c->buf + c->got, c->want - c->got);
    if (r < 0 && errno == EAGAIN) {
        return;
    }
    if (r <= 0) {
        restart(c, 1);
        return;
    }
    c->got += r;
    if (c->got == c->want && advance(c) < 0) {
        restart(c, 1);
    }
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "echo") == 0) {
        return echo_server(atoi(argv[2]));
    }
    if ((argc != 7 && argc != 9) || strcmp(argv[1], "run") != 0) {
        fprintf(stderr, "usage: %s echo PORT | run TARGET_PORT PROXY_PORT|0 CONCURRENCY WARMUP_S DURATION_S [USER PASSWORD]\n",
                argv[0]);
        return 2;
    }
    target_port = atoi(argv[2]);
    proxy_port = atoi(argv[3]);
    int concurrency = atoi(argv[4]);
    double warmup = atof(argv[5]), duration = atof(argv[6]);
    if (argc == 9) {
        user = argv[7];
        password = argv[8];
        ulen = strlen(user);
        plen = strlen(password);
        if (ulen < 1 || ulen > 255 || plen < 1 || plen > 255) {
            fprintf(stderr, "user and password: 1 to 255 bytes each\n");
            return 2;
        }
    }
    if (concurrency < 1 || concurrency > MAX_CLIENTS || duration <= 0 || warmup < 0) {
        fprintf(stderr, "concurrency 1-%d, duration > 0, warmup >= 0\n", MAX_CLIENTS);
        return 2;
    }
    ep = epoll_create1(0);
    static struct client clients[MAX_CLIENTS];
    for (int i = 0; i < concurrency; i++) {
        start(&clients[i]);
    }
    double begin = now(), count_from = begin + warmup, end = count_from + duration;
    struct epoll_event events[512];
    for (;;) {
        double t = now();
        if (!counting && t >= count_from) {
            counting = 1;
            tunnels = 0;
            errors = 0;
        }
        if (t >= end) {
            break;
        }
        int n = epoll_wait(ep, events, 512, 50);
        for (int i = 0; i < n; i++) {
            on_event(events[i].data.ptr, events[i].events);
        }
    }
    printf("{\"tunnels\":%ld,\"seconds\":%.3f,\"tunnels_per_second\":%.1f,\"errors\":%ld,\"concurrency\":%d}\n",
           tunnels, duration, tunnels / duration, errors, concurrency);
    return 0;
}

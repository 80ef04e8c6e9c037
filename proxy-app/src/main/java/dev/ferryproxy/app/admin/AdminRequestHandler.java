package dev.ferryproxy.app.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One admin connection, one request: {@code /metrics} (Prometheus text, or OpenMetrics when the
 * Accept header asks for it), {@code /health/live} and {@code /health/ready}; anything but GET
 * is 405, any other path 404, a malformed or oversized head 400. Every answer closes the
 * connection (probes and scrapers open one per request anyway), so the header deadline is armed
 * once: from connecting until the head is in. Health is answered on the event loop; a scrape,
 * which walks every meter, runs on the scrape thread and its answer is written back here.
 */
final class AdminRequestHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AdminRequestHandler.class);
    private static final String OPENMETRICS = "application/openmetrics-text";
    private static final String TEXT = "text/plain; charset=utf-8";
    /** The content types of Prometheus client 1.x's two text writers, which the registry picks by. */
    private static final String PROMETHEUS_TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String OPENMETRICS_FORMAT = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private final PrometheusMeterRegistry registry;
    private final BooleanSupplier ready;
    private final ExecutorService scraper;
    private final AdminConnections connections;
    private final AdminLimits limits;
    private ScheduledFuture<?> headerDeadline;
    private boolean answered;

    AdminRequestHandler(PrometheusMeterRegistry registry, BooleanSupplier ready, ExecutorService scraper,
            AdminConnections connections, AdminLimits limits) {
        this.registry = registry;
        this.ready = ready;
        this.scraper = scraper;
        this.connections = connections;
        this.limits = limits;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        headerDeadline = ctx.executor().schedule(() -> {
            log.debug("admin connection from {} sent no complete request within {} ms; closing",
                    ctx.channel().remoteAddress(), limits.headerTimeout().toMillis());
            ctx.close();
        }, limits.headerTimeout().toNanos(), TimeUnit.NANOSECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelDeadline();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (!(msg instanceof HttpRequest) || answered) {
                return; // a body, or anything behind the one request: not read
            }
            answered = true;
            cancelDeadline();
            connections.requestArrived(ctx.channel());
            // nothing more is wanted from this client
            ctx.channel().config().setAutoRead(false);
            answer(ctx, (HttpRequest) msg);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void answer(ChannelHandlerContext ctx, HttpRequest request) {
        if (request.decoderResult().isFailure()) {
            send(ctx, HttpResponseStatus.BAD_REQUEST, TEXT, "bad request\n");
            return;
        }
        String path = new QueryStringDecoder(request.uri()).path();
        boolean known = path.equals("/metrics") || path.equals("/health/live") || path.equals("/health/ready");
        if (!known) {
            send(ctx, HttpResponseStatus.NOT_FOUND, TEXT, "not found\n");
        } else if (!HttpMethod.GET.equals(request.method())) {
            FullHttpResponse response = response(HttpResponseStatus.METHOD_NOT_ALLOWED, TEXT, "method not allowed\n");
            response.headers().set(HttpHeaderNames.ALLOW, "GET");
            write(ctx, response);
        } else if (path.equals("/metrics")) {
            scrape(ctx, request.headers().get(HttpHeaderNames.ACCEPT));
        } else if (path.equals("/health/live")) {
            send(ctx, HttpResponseStatus.OK, TEXT, "live\n");
        } else if (ready.getAsBoolean()) {
            send(ctx, HttpResponseStatus.OK, TEXT, "ready\n");
        } else {
            send(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, TEXT, "not ready\n");
        }
    }

    private void scrape(ChannelHandlerContext ctx, String accept) {
        String contentType = accept != null && accept.contains(OPENMETRICS) ? OPENMETRICS_FORMAT : PROMETHEUS_TEXT_FORMAT;
        try {
            scraper.execute(() -> {
                ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
                try {
                    registry.scrape(body, contentType);
                } catch (IOException | RuntimeException e) {
                    log.warn("metrics scrape failed: {}", e.toString());
                    ctx.executor().execute(() -> send(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, TEXT,
                            "scrape failed\n"));
                    return;
                }
                byte[] bytes = body.toByteArray();
                ctx.executor().execute(() -> write(ctx, response(HttpResponseStatus.OK, contentType, bytes)));
            });
        } catch (RejectedExecutionException e) {
            // more scrapes waiting than any Prometheus sends: an attack, or a stuck registry
            send(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, TEXT, "busy\n");
        }
    }

    private static void send(ChannelHandlerContext ctx, HttpResponseStatus status, String contentType, String text) {
        write(ctx, response(status, contentType, text));
    }

    private static FullHttpResponse response(HttpResponseStatus status, String contentType, String text) {
        return response(status, contentType, text.getBytes(StandardCharsets.UTF_8));
    }

    private static FullHttpResponse response(HttpResponseStatus status, String contentType, byte[] body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return response;
    }

    private static void write(ChannelHandlerContext ctx, FullHttpResponse response) {
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("admin connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    private void cancelDeadline() {
        if (headerDeadline != null) {
            headerDeadline.cancel(false);
            headerDeadline = null;
        }
    }
}

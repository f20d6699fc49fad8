package org.konsil.server;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import java.util.function.Function;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.messaging.WebSocketGateway;

/** One HTTP server instance on one event loop: the REST router and the WebSocket gateway. */
public final class HttpVerticle extends VerticleBase {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HttpVerticle.class);

  private final KonsilConfig config;
  private final Function<io.vertx.core.Vertx, Router> routerFactory;
  private final Function<io.vertx.core.Vertx, WebSocketGateway> gatewayFactory;
  private HttpServer server;
  private WebSocketGateway gateway;

  public HttpVerticle(
      KonsilConfig config,
      Function<io.vertx.core.Vertx, Router> routerFactory,
      Function<io.vertx.core.Vertx, WebSocketGateway> gatewayFactory) {
    this.config = config;
    this.routerFactory = routerFactory;
    this.gatewayFactory = gatewayFactory;
  }

  @Override
  public Future<?> start() {
    gateway = gatewayFactory.apply(vertx);
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(config.httpHost())
            .setPort(config.httpPort())
            .setCompressionSupported(true)
            // Nothing read or written for this long closes the connection: a client that opens
            // connections and goes silent does not hold them forever. WebSockets stay busy with
            // the gateway's pings and have their own timeout for a peer that stops answering.
            .setIdleTimeout((int) config.httpIdleTimeout().toSeconds())
            .setIdleTimeoutUnit(java.util.concurrent.TimeUnit.SECONDS)
            // The application refuses frames above its own limit with an error frame and keeps
            // the socket; only frames far beyond it are cut off by the protocol layer (1009).
            .setMaxWebSocketFrameSize(config.wsMaxFrameBytes() * 4)
            .setMaxWebSocketMessageSize(config.wsMaxFrameBytes() * 4);
    if (config.tlsCertFile().isPresent()) {
      options
          .setSsl(true)
          .setKeyCertOptions(
              new PemKeyCertOptions()
                  .setCertPath(config.tlsCertFile().get().toString())
                  .setKeyPath(config.tlsKeyFile().orElseThrow().toString()));
    }
    server =
        vertx
            .createHttpServer(options)
            .requestHandler(routerFactory.apply(vertx))
            .webSocketHandshakeHandler(
                handshake -> {
                  if (WebSocketGateway.PATH.equals(handshake.path())
                      || (WebSocketGateway.PATH + "/").equals(handshake.path())) {
                    handshake.accept();
                  } else {
                    handshake.reject(404);
                  }
                })
            .webSocketHandler(gateway::accept);
    return gateway.start().compose(done -> server.listen());
  }

  /**
   * Says goodbye (1001) to this instance's sockets, on its own event loop. All instances do this
   * before any closes its server: closing one instance of a shared server cuts the connections of
   * the others.
   */
  public Future<Void> closeSockets() {
    Promise<Void> closed = Promise.promise();
    context.runOnContext(
        v -> {
          LOG.info("closing {} sockets", gateway.connectionCount());
          gateway.shutdown().onComplete(closed);
        });
    return closed.future();
  }

  @Override
  public Future<?> stop() {
    return gateway.shutdown().compose(done -> server.close());
  }

  public int actualPort() {
    return server.actualPort();
  }
}

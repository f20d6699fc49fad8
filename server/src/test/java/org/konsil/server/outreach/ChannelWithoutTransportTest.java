package org.konsil.server.outreach;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;

/**
 * A node with the default transports (mail and SMS into spool folders) reaches no patient: a
 * campaign on e-mail or SMS is refused, a letter campaign (printed by the practice) is not.
 */
class ChannelWithoutTransportTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
  }

  Api.Response campaign(String channel) {
    Api.Response template =
        server
            .api()
            .post(
                "/api/v1/message-templates",
                new JsonObject()
                    .put("name", channel)
                    .put("channel", channel)
                    .put("language", "en")
                    .put("body", "Your practice {{practice_name}} asks you to call."),
                network.anna().accessToken());
    assertEquals(201, template.status(), template.body());
    return server
        .api()
        .post(
            "/api/v1/campaigns",
            new JsonObject()
                .put("name", "Recall")
                .put("channel", channel)
                .put("purpose", "recall")
                .put("templateId", template.json().getString("id")),
            network.anna().accessToken());
  }

  @Test
  void emailAndSmsWithoutARealTransportAreRefusedLettersAreNot() {
    for (String channel : new String[] {"email", "sms"}) {
      Api.Response refused = campaign(channel);
      assertEquals(409, refused.status(), channel);
      assertEquals("channel_unavailable", refused.code());
    }
    assertEquals(0, server.count("SELECT count(*) FROM campaigns"));
    assertEquals(201, campaign("letter").status());
  }
}

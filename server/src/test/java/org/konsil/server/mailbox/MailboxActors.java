package org.konsil.server.mailbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.KonsilServer;

/**
 * The browsers of the mailbox, written with {@link MailboxCrypto}: a staff member's and a
 * patient's. They talk to the server through the API only, as the web UI does.
 */
final class MailboxActors {

  private MailboxActors() {}

  static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  static byte[] unb64(String text) {
    return Base64.getDecoder().decode(text);
  }

  /** A decrypted message as a reader sees it. */
  record Opened(
      UUID id,
      String direction,
      String subject,
      String body,
      List<String> attachmentNames,
      List<byte[]> attachments,
      boolean verified,
      String readAt) {}

  /** What a sender types. */
  record Draft(String subject, String body, List<String> names, List<byte[]> files) {
    static Draft text(String subject, String body) {
      return new Draft(subject, body, List.of(), List.of());
    }
  }

  /** Encrypts and signs a message as docs/patient-mailbox.md says; answers the request body. */
  static JsonObject encrypt(
      UUID mailboxId,
      UUID messageId,
      String direction,
      Draft draft,
      byte[] patientX,
      byte[] practiceX,
      byte[] signingKey) {
    byte[] contentKey = MailboxCrypto.random(32);
    JsonArray list = new JsonArray();
    for (int i = 0; i < draft.names().size(); i++) {
      list.add(
          new JsonObject()
              .put("name", draft.names().get(i))
              .put("type", "application/octet-stream")
              .put("size", draft.files().get(i).length));
    }
    byte[] envelope =
        MailboxCrypto.encrypt(
            contentKey,
            new JsonObject()
                .put("subject", draft.subject())
                .put("body", draft.body())
                .put("attachments", list)
                .encode()
                .getBytes(StandardCharsets.UTF_8),
            "konsil-mailbox-v1 envelope " + messageId);
    List<byte[]> attachments = new ArrayList<>();
    for (int i = 0; i < draft.files().size(); i++) {
      attachments.add(
          MailboxCrypto.encrypt(
              contentKey,
              draft.files().get(i),
              "konsil-mailbox-v1 attachment " + messageId + " " + i));
    }
    byte[] signature =
        MailboxCrypto.sign(
            signingKey,
            MailboxCrypto.transcript(mailboxId, messageId, direction, envelope, attachments));
    JsonArray encoded = new JsonArray();
    attachments.forEach(a -> encoded.add(b64(a)));
    return new JsonObject()
        .put("id", messageId.toString())
        .put("envelope", b64(envelope))
        .put("attachments", encoded)
        .put("keyForPatient", b64(MailboxCrypto.seal(patientX, contentKey, "content-key")))
        .put("keyForPractice", b64(MailboxCrypto.seal(practiceX, contentKey, "content-key")))
        .put("signature", b64(signature));
  }

  /** Opens a listed message with the reader's X25519 key; checks the sender's signature. */
  static Opened decrypt(
      JsonObject message,
      byte[] readerX,
      byte[] senderEd,
      java.util.function.IntFunction<byte[]> attachmentFetcher) {
    UUID id = UUID.fromString(message.getString("id"));
    byte[] envelopeBytes = unb64(message.getString("envelope"));
    byte[] contentKey = MailboxCrypto.open(readerX, unb64(message.getString("key")), "content-key");
    JsonObject envelope =
        new JsonObject(
            new String(
                MailboxCrypto.decrypt(
                    contentKey, envelopeBytes, "konsil-mailbox-v1 envelope " + id),
                StandardCharsets.UTF_8));
    List<String> names = new ArrayList<>();
    List<byte[]> ciphertexts = new ArrayList<>();
    List<byte[]> files = new ArrayList<>();
    JsonArray list = envelope.getJsonArray("attachments");
    for (int i = 0; i < list.size(); i++) {
      names.add(list.getJsonObject(i).getString("name"));
      byte[] ciphertext = attachmentFetcher.apply(i);
      ciphertexts.add(ciphertext);
      files.add(
          MailboxCrypto.decrypt(
              contentKey, ciphertext, "konsil-mailbox-v1 attachment " + id + " " + i));
    }
    boolean verified =
        MailboxCrypto.verify(
            senderEd,
            MailboxCrypto.transcript(
                UUID.fromString(message.getString("mailboxId")),
                id,
                message.getString("direction"),
                envelopeBytes,
                ciphertexts),
            unb64(message.getString("signature")));
    return new Opened(
        id,
        message.getString("direction"),
        envelope.getString("subject"),
        envelope.getString("body"),
        names,
        files,
        verified,
        message.getString("readAt"));
  }

  /** Whether the message's content key opens with this X25519 key (it does not after new keys). */
  static boolean opensWith(JsonObject message, byte[] readerX) {
    try {
      MailboxCrypto.open(readerX, unb64(message.getString("key")), "content-key");
      return true;
    } catch (IllegalStateException e) {
      return false;
    }
  }

  /** A staff member's browser: their own mailbox key, and the practice key if they may read. */
  static final class Staff {
    final KonsilServer server;
    final String token;
    final String password;
    byte[] xPrivate;
    byte[] xPublic;

    Staff(KonsilServer server, KonsilServer.Session session) {
      this.server = server;
      this.token = session.accessToken();
      this.password = session.user().password();
    }

    Api api() {
      return server.api();
    }

    /** Makes and stores this member's mailbox key (wrapped with their password). */
    Staff withKey() {
      MailboxCrypto.Keys keys = MailboxCrypto.Keys.generate();
      byte[] salt = MailboxCrypto.random(16);
      MailboxCrypto.Derived derived =
          MailboxCrypto.derive(password, salt, MailboxCrypto.ITERATIONS);
      Api.Response put =
          api()
              .put(
                  "/api/v1/me/mailbox-key",
                  new JsonObject()
                      .put("x25519Public", b64(keys.xPublic()))
                      .put(
                          "wrappedPrivate",
                          b64(MailboxCrypto.wrapKeys(derived.wrappingKey(), keys.xPrivate())))
                      .put("salt", b64(salt))
                      .put("iterations", MailboxCrypto.ITERATIONS),
                  token);
      assertEquals(200, put.status(), put.body());
      xPublic = keys.xPublic();
      xPrivate = null; // taken from the server's wrapped copy below, as a browser would
      return this;
    }

    /** Unwraps the own key from the server's copy with the password. */
    byte[] ownPrivate() {
      if (xPrivate == null) {
        JsonObject key = api().get("/api/v1/me/mailbox-key", token).json();
        MailboxCrypto.Derived derived =
            MailboxCrypto.derive(
                password, unb64(key.getString("salt")), key.getInteger("iterations"));
        xPrivate =
            MailboxCrypto.unwrapKeys(derived.wrappingKey(), unb64(key.getString("wrappedPrivate")));
      }
      return xPrivate;
    }

    /** The practice's keys, opened from this member's sealed copy. */
    MailboxCrypto.Keys practiceKeys() {
      JsonObject view = api().get("/api/v1/organisation/mailbox", token).json();
      String sealed = view.getString("sealedPracticeKey");
      assertTrue(sealed != null, "no access: " + view);
      return MailboxCrypto.Keys.fromPrivate(
          MailboxCrypto.open(ownPrivate(), unb64(sealed), "practice-key"));
    }

    /** As an admin: makes the practice key pair and seals it for the own key. */
    MailboxCrypto.Keys createPracticeKey() {
      MailboxCrypto.Keys practice = MailboxCrypto.Keys.generate();
      Api.Response created =
          api()
              .post(
                  "/api/v1/organisation/mailbox",
                  new JsonObject()
                      .put("x25519Public", b64(practice.xPublic()))
                      .put("ed25519Public", b64(practice.edPublic()))
                      .put(
                          "sealedPracticeKey",
                          b64(
                              MailboxCrypto.seal(
                                  xPublic, practice.privateBytes(), "practice-key"))),
                  token);
      assertEquals(201, created.status(), created.body());
      return practice;
    }

    /** As an admin with access: seals the practice key for another member's key. */
    Api.Response grant(UUID userId) {
      JsonArray staff = api().get("/api/v1/organisation/mailbox/staff", token).array();
      String key = null;
      for (Object entry : staff) {
        JsonObject member = (JsonObject) entry;
        if (member.getString("userId").equals(userId.toString())) {
          key = member.getString("x25519Public");
        }
      }
      assertTrue(key != null, "the member has no key: " + staff);
      return api()
          .put(
              "/api/v1/organisation/mailbox/staff/" + userId + "/access",
              new JsonObject()
                  .put("x25519Public", key)
                  .put(
                      "sealedPracticeKey",
                      b64(
                          MailboxCrypto.seal(
                              unb64(key), practiceKeys().privateBytes(), "practice-key"))),
              token);
    }

    Api.Response invite(UUID patient, String email) {
      return api()
          .post(
              "/api/v1/patients/" + patient + "/mailbox",
              new JsonObject().put("email", email),
              token);
    }

    JsonObject mailbox(UUID patient) {
      Api.Response view = api().get("/api/v1/patients/" + patient + "/mailbox", token);
      assertEquals(200, view.status(), view.body());
      return view.json();
    }

    Api.Response send(UUID patient, UUID messageId, Draft draft) {
      JsonObject mailbox = mailbox(patient);
      MailboxCrypto.Keys practice = practiceKeys();
      return api()
          .post(
              "/api/v1/patients/" + patient + "/mailbox/messages",
              encrypt(
                  UUID.fromString(mailbox.getString("id")),
                  messageId,
                  "to_patient",
                  draft,
                  // an invited patient has no key yet: the server must refuse before it matters
                  mailbox.getString("x25519Public") == null
                      ? MailboxCrypto.Keys.generate().xPublic()
                      : unb64(mailbox.getString("x25519Public")),
                  practice.xPublic(),
                  practice.edPrivate()),
              token);
    }

    List<Opened> read(UUID patient) {
      JsonObject mailbox = mailbox(patient);
      MailboxCrypto.Keys practice = practiceKeys();
      Api.Response list = api().get("/api/v1/patients/" + patient + "/mailbox/messages", token);
      assertEquals(200, list.status(), list.body());
      List<Opened> opened = new ArrayList<>();
      for (Object item : list.array()) {
        JsonObject message = (JsonObject) item;
        boolean fromPatient = message.getString("direction").equals("to_practice");
        opened.add(
            decrypt(
                message,
                practice.xPrivate(),
                fromPatient ? unb64(mailbox.getString("ed25519Public")) : practice.edPublic(),
                i -> attachment(patient, message.getString("id"), i)));
      }
      return opened;
    }

    byte[] attachment(UUID patient, String messageId, int position) {
      Api.Response got =
          api()
              .get(
                  "/api/v1/patients/"
                      + patient
                      + "/mailbox/messages/"
                      + messageId
                      + "/attachments/"
                      + position,
                  token);
      assertEquals(200, got.status(), got.body());
      return unb64(got.json().getString("content"));
    }
  }

  /** A patient's browser. */
  static final class Patient {
    final KonsilServer server;
    final UUID organisationId;
    final String email;
    String password;
    String token;
    MailboxCrypto.Keys keys;

    Patient(KonsilServer server, UUID organisationId, String email, String password) {
      this.server = server;
      this.organisationId = organisationId;
      this.email = email;
      this.password = password;
    }

    Api api() {
      return server.api();
    }

    Api.Response register(String linkToken) {
      Api.Response link =
          api()
              .post(
                  "/api/v1/mailbox/registration-link",
                  new JsonObject().put("token", linkToken),
                  null);
      if (link.status() != 200) {
        return link;
      }
      byte[] salt = unb64(link.json().getString("salt"));
      MailboxCrypto.Derived derived =
          MailboxCrypto.derive(password, salt, MailboxCrypto.ITERATIONS);
      MailboxCrypto.Keys made = MailboxCrypto.Keys.generate();
      Api.Response registered =
          api()
              .post(
                  "/api/v1/mailbox/registration",
                  new JsonObject()
                      .put("token", linkToken)
                      .put("loginSecret", b64(derived.loginSecret()))
                      .put("iterations", MailboxCrypto.ITERATIONS)
                      .put("x25519Public", b64(made.xPublic()))
                      .put("ed25519Public", b64(made.edPublic()))
                      .put(
                          "wrappedPrivate",
                          b64(MailboxCrypto.wrapKeys(derived.wrappingKey(), made.privateBytes()))),
                  null);
      if (registered.status() == 201) {
        token = registered.json().getString("token");
        keys = made;
      }
      return registered;
    }

    /** Logs in as the browser does: the salt first, then the derived login secret. */
    Api.Response login() {
      Api.Response prelogin =
          api()
              .post(
                  "/api/v1/mailbox/prelogin",
                  new JsonObject()
                      .put("organisationId", organisationId.toString())
                      .put("email", email),
                  null);
      assertEquals(200, prelogin.status(), prelogin.body());
      MailboxCrypto.Derived derived =
          MailboxCrypto.derive(
              password,
              unb64(prelogin.json().getString("salt")),
              prelogin.json().getInteger("iterations"));
      Api.Response login =
          api()
              .post(
                  "/api/v1/mailbox/login",
                  new JsonObject()
                      .put("organisationId", organisationId.toString())
                      .put("email", email)
                      .put("loginSecret", b64(derived.loginSecret())),
                  null);
      if (login.status() == 200) {
        token = login.json().getString("token");
        JsonObject me = api().get("/api/v1/mailbox/me", token).json();
        keys =
            MailboxCrypto.Keys.fromPrivate(
                MailboxCrypto.unwrapKeys(
                    derived.wrappingKey(), unb64(me.getString("wrappedPrivate"))));
      }
      return login;
    }

    /** Makes a recovery sheet (the password typed again); answers the code on it. */
    String createRecoverySheet(String passwordTypedAgain, Api.Response[] answer) {
      JsonObject me = me();
      MailboxCrypto.Derived login =
          MailboxCrypto.derive(
              passwordTypedAgain, unb64(me.getString("salt")), me.getInteger("iterations"));
      String code = MailboxCrypto.newRecoveryCode();
      MailboxCrypto.Derived recovery = MailboxCrypto.deriveRecovery(code);
      answer[0] =
          api()
              .put(
                  "/api/v1/mailbox/recovery",
                  new JsonObject()
                      .put("loginSecret", b64(login.loginSecret()))
                      .put("recoverySecret", b64(recovery.loginSecret()))
                      .put(
                          "wrappedPrivate",
                          b64(
                              MailboxCrypto.wrapForRecovery(
                                  recovery.wrappingKey(), keys.privateBytes()))),
                  token);
      return code;
    }

    /** A forgotten password, reset with the recovery code: the keys stay. */
    Api.Response recover(String code, String newPassword) {
      MailboxCrypto.Derived recovery = MailboxCrypto.deriveRecovery(code);
      Api.Response opened =
          api()
              .post(
                  "/api/v1/mailbox/recovery/open",
                  new JsonObject()
                      .put("organisationId", organisationId.toString())
                      .put("email", email)
                      .put("recoverySecret", b64(recovery.loginSecret())),
                  null);
      if (opened.status() != 200) {
        return opened;
      }
      byte[] privateKeys =
          MailboxCrypto.unwrapForRecovery(
              recovery.wrappingKey(), unb64(opened.json().getString("wrappedPrivate")));
      MailboxCrypto.Derived fresh =
          MailboxCrypto.derive(
              newPassword, unb64(opened.json().getString("salt")), MailboxCrypto.ITERATIONS);
      Api.Response set =
          api()
              .post(
                  "/api/v1/mailbox/password",
                  new JsonObject()
                      .put("token", opened.json().getString("resetToken"))
                      .put("loginSecret", b64(fresh.loginSecret()))
                      .put("iterations", MailboxCrypto.ITERATIONS)
                      .put(
                          "wrappedPrivate",
                          b64(MailboxCrypto.wrapKeys(fresh.wrappingKey(), privateKeys))),
                  null);
      if (set.status() == 200) {
        password = newPassword;
        token = set.json().getString("token");
        keys = MailboxCrypto.Keys.fromPrivate(privateKeys);
      }
      return set;
    }

    /** A reset from the mailed link: new keys (when confirmLoss, else what the server says). */
    Api.Response resetWithoutCode(
        String linkToken, String newPassword, boolean confirmLoss, boolean sendKeys) {
      Api.Response link =
          api().post("/api/v1/mailbox/reset-link", new JsonObject().put("token", linkToken), null);
      if (link.status() != 200) {
        return link;
      }
      MailboxCrypto.Derived fresh =
          MailboxCrypto.derive(
              newPassword, unb64(link.json().getString("salt")), MailboxCrypto.ITERATIONS);
      MailboxCrypto.Keys made = MailboxCrypto.Keys.generate();
      JsonObject body =
          new JsonObject()
              .put("token", linkToken)
              .put("loginSecret", b64(fresh.loginSecret()))
              .put("iterations", MailboxCrypto.ITERATIONS)
              .put(
                  "wrappedPrivate",
                  b64(MailboxCrypto.wrapKeys(fresh.wrappingKey(), made.privateBytes())))
              .put("confirmLoss", confirmLoss);
      if (sendKeys) {
        body.put("x25519Public", b64(made.xPublic())).put("ed25519Public", b64(made.edPublic()));
      }
      Api.Response set = api().post("/api/v1/mailbox/password", body, null);
      if (set.status() == 200) {
        password = newPassword;
        token = set.json().getString("token");
        keys = made;
      }
      return set;
    }

    JsonObject me() {
      Api.Response me = api().get("/api/v1/mailbox/me", token);
      assertEquals(200, me.status(), me.body());
      return me.json();
    }

    List<Opened> read() {
      JsonObject me = me();
      byte[] practiceEd = unb64(me.getJsonObject("practice").getString("ed25519Public"));
      Api.Response list = api().get("/api/v1/mailbox/messages", token);
      assertEquals(200, list.status(), list.body());
      List<Opened> opened = new ArrayList<>();
      for (Object item : list.array()) {
        JsonObject message = (JsonObject) item;
        boolean fromPractice = message.getString("direction").equals("to_patient");
        if (!opensWith(message, keys.xPrivate())) {
          opened.add(
              new Opened(
                  UUID.fromString(message.getString("id")),
                  message.getString("direction"),
                  null,
                  null,
                  List.of(),
                  List.of(),
                  false,
                  message.getString("readAt")));
          continue;
        }
        opened.add(
            decrypt(
                message,
                keys.xPrivate(),
                fromPractice ? practiceEd : keys.edPublic(),
                i -> {
                  Api.Response got =
                      api()
                          .get(
                              "/api/v1/mailbox/messages/"
                                  + message.getString("id")
                                  + "/attachments/"
                                  + i,
                              token);
                  assertEquals(200, got.status(), got.body());
                  return unb64(got.json().getString("content"));
                }));
      }
      return opened;
    }

    Api.Response send(UUID messageId, Draft draft) {
      JsonObject me = me();
      return api()
          .post(
              "/api/v1/mailbox/messages",
              encrypt(
                  UUID.fromString(me.getString("id")),
                  messageId,
                  "to_practice",
                  draft,
                  keys.xPublic(),
                  unb64(me.getJsonObject("practice").getString("x25519Public")),
                  keys.edPrivate()),
              token);
    }
  }
}

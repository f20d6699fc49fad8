package org.konsil.server.testkit;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code docs/asyncapi.yaml} as a check of the WebSocket frames of the tests: a frame the server
 * sends must match the payload of the server message with its {@code type}, a frame a test sends
 * the payload of the client message with its {@code type}.
 */
public final class FrameContract {

  private static FrameContract instance;

  private final ContractDocument doc;
  // frame type to the pointer of its payload schema, per direction
  private final Map<String, String> clientFrames = new TreeMap<>();
  private final Map<String, String> serverFrames = new TreeMap<>();

  private FrameContract(ContractDocument doc) {
    this.doc = doc;
    JsonObject operations = doc.root().getJsonObject("operations");
    for (String name : operations.fieldNames()) {
      JsonObject operation = operations.getJsonObject(name);
      String action = operation.getString("action");
      Map<String, String> frames = "receive".equals(action) ? clientFrames : serverFrames;
      JsonArray messages = operation.getJsonArray("messages", new JsonArray());
      for (int i = 0; i < messages.size(); i++) {
        String message =
            doc.resolve(ContractDocument.child("#/operations", name, "messages", "" + i));
        String payload = doc.resolve(ContractDocument.child(message, "payload"));
        JsonObject type =
            doc.object(payload).getJsonObject("properties", new JsonObject()).getJsonObject("type");
        if (type == null || type.getString("const") == null) {
          throw new IllegalStateException(message + " has no payload with a const type");
        }
        String previous = frames.put(type.getString("const"), payload);
        if (previous != null && !previous.equals(payload)) {
          throw new IllegalStateException(
              "two " + action + " messages of type " + type.getString("const"));
        }
      }
    }
  }

  /** The contract, read once per test run. */
  public static synchronized FrameContract get() {
    if (instance == null) {
      instance = new FrameContract(ContractDocument.load("asyncapi.yaml", Draft.DRAFT7));
    }
    return instance;
  }

  public ContractDocument document() {
    return doc;
  }

  /** The payload pointers of the frames the server sends, by type. */
  public Map<String, String> serverFrames() {
    return serverFrames;
  }

  /** The payload pointers of the frames a client sends, by type. */
  public Map<String, String> clientFrames() {
    return clientFrames;
  }

  /** What is wrong with a frame the server sent; empty when it keeps the contract. */
  public List<String> serverFrameViolations(String text) {
    return violations(serverFrames, text);
  }

  /** What is wrong with a frame a client sends; empty when it keeps the contract. */
  public List<String> clientFrameViolations(String text) {
    return violations(clientFrames, text);
  }

  /** Fails when the server's frame does not keep the contract. */
  public void checkServerFrame(String text) {
    fail(
        "The server sent a frame that breaks docs/asyncapi.yaml",
        text,
        serverFrameViolations(text));
  }

  /** Fails when a frame a test sends as valid does not keep the contract. */
  public void checkClientFrame(String text) {
    fail(
        "A test sent a frame that breaks docs/asyncapi.yaml (send it with sendInvalid if that is"
            + " meant)",
        text,
        clientFrameViolations(text));
  }

  /** Fails when a frame a test sends to be refused is one the contract allows. */
  public void checkInvalidClientFrame(String text) {
    if (clientFrameViolations(text).isEmpty()) {
      throw new AssertionError(
          "A test sends as invalid a frame that docs/asyncapi.yaml allows; the contract should"
              + " say why the server refuses it: "
              + text);
    }
  }

  private static void fail(String what, String text, List<String> violations) {
    if (!violations.isEmpty()) {
      throw new AssertionError(
          what
              + "\n  - "
              + String.join("\n  - ", violations)
              + "\n  frame: "
              + (text.length() > 600 ? text.substring(0, 600) + "..." : text));
    }
  }

  private List<String> violations(Map<String, String> frames, String text) {
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      return List.of("not a JSON object");
    }
    Object type = frame.getValue("type");
    String payload = type instanceof String name ? frames.get(name) : null;
    if (payload == null) {
      return List.of("no message of type " + type + " (declared: " + frames.keySet() + ")");
    }
    List<String> violations = new ArrayList<>();
    doc.schemaErrors(payload, frame)
        .forEach(error -> violations.add(type + " frame (" + payload + ") " + error));
    return violations;
  }
}

package org.konsil.server.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.konsil.server.testkit.ContractDocument;
import org.konsil.server.testkit.FrameContract;
import org.konsil.server.testkit.RestContract;

/**
 * The contracts in {@code docs/} are well-formed: strict YAML, every schema made only of schema
 * keywords (an unquoted colon or comma in a flow mapping turns the rest of a description into a
 * stray key), every reference resolves, and every example matches its schema.
 */
class ContractDocumentsTest {

  private static final Set<String> SCHEMA_KEYWORDS =
      Set.of(
          "$ref",
          "$schema",
          "$id",
          "$defs",
          "$comment",
          "$anchor",
          "$dynamicRef",
          "$dynamicAnchor",
          "type",
          "enum",
          "const",
          "format",
          "title",
          "description",
          "default",
          "examples",
          "example",
          "properties",
          "required",
          "additionalProperties",
          "patternProperties",
          "propertyNames",
          "items",
          "prefixItems",
          "contains",
          "minContains",
          "maxContains",
          "minItems",
          "maxItems",
          "uniqueItems",
          "minLength",
          "maxLength",
          "pattern",
          "minimum",
          "maximum",
          "exclusiveMinimum",
          "exclusiveMaximum",
          "multipleOf",
          "minProperties",
          "maxProperties",
          "allOf",
          "anyOf",
          "oneOf",
          "not",
          "if",
          "then",
          "else",
          "dependentRequired",
          "dependentSchemas",
          "contentMediaType",
          "contentEncoding",
          "contentSchema",
          "readOnly",
          "writeOnly",
          "deprecated",
          "discriminator",
          "xml",
          "externalDocs",
          "unevaluatedProperties",
          "unevaluatedItems");
  private static final List<String> SCHEMA_MAPS =
      List.of("properties", "patternProperties", "$defs", "dependentSchemas");
  private static final List<String> SCHEMA_VALUES =
      List.of(
          "items",
          "additionalProperties",
          "not",
          "if",
          "then",
          "else",
          "contains",
          "propertyNames",
          "unevaluatedProperties",
          "unevaluatedItems",
          "contentSchema");
  private static final List<String> SCHEMA_LISTS =
      List.of("allOf", "anyOf", "oneOf", "prefixItems");

  @Test
  void openApiSchemasHoldOnlySchemaKeywords() {
    ContractDocument doc = RestContract.get().document();
    List<String> schemas = openApiSchemaPointers(doc);
    assertTrue(schemas.size() > 50, "found the schemas: " + schemas.size());
    List<String> stray = new ArrayList<>();
    schemas.forEach(pointer -> strayKeys(doc, pointer, stray));
    assertEquals(List.of(), stray);
  }

  @Test
  void asyncApiSchemasHoldOnlySchemaKeywords() {
    ContractDocument doc = FrameContract.get().document();
    List<String> schemas = new ArrayList<>();
    for (String name :
        doc.root().getJsonObject("components").getJsonObject("schemas").fieldNames()) {
      schemas.add(ContractDocument.child("#/components/schemas", name));
    }
    JsonObject messages = doc.root().getJsonObject("components").getJsonObject("messages");
    for (String name : messages.fieldNames()) {
      schemas.add(ContractDocument.child("#/components/messages", name, "payload"));
    }
    List<String> stray = new ArrayList<>();
    schemas.forEach(pointer -> strayKeys(doc, pointer, stray));
    assertEquals(List.of(), stray);
  }

  @Test
  void everyReferenceResolves() {
    for (ContractDocument doc :
        List.of(RestContract.get().document(), FrameContract.get().document())) {
      List<String> broken = new ArrayList<>();
      references(doc, doc.root(), broken);
      assertEquals(List.of(), broken, doc.file().getFileName().toString());
    }
  }

  @Test
  void operationIdsAreUniqueAndEveryOperationDeclaresAnswers() {
    ContractDocument doc = RestContract.get().document();
    Set<String> ids = new HashSet<>();
    JsonObject paths = doc.root().getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String method : paths.getJsonObject(path).fieldNames()) {
        if (method.equals("parameters")) {
          continue;
        }
        JsonObject operation = paths.getJsonObject(path).getJsonObject(method);
        String id = operation.getString("operationId");
        assertTrue(id != null && ids.add(id), method + " " + path + ": operationId " + id);
        assertTrue(
            operation.getJsonObject("responses") != null
                && !operation.getJsonObject("responses").isEmpty(),
            id + " declares its answers");
      }
    }
  }

  @Test
  void openApiExamplesMatchTheirSchemas() {
    ContractDocument doc = RestContract.get().document();
    List<String> wrong = new ArrayList<>();
    JsonObject paths = doc.root().getJsonObject("paths");
    List<String> mediaTypes = new ArrayList<>();
    for (String path : paths.fieldNames()) {
      for (String method : paths.getJsonObject(path).fieldNames()) {
        String operation = ContractDocument.child("#/paths", path, method);
        JsonObject op = doc.object(operation);
        if (op == null || method.equals("parameters")) {
          continue;
        }
        if (op.containsKey("requestBody")) {
          mediaTypes(
              doc, doc.resolve(ContractDocument.child(operation, "requestBody")), mediaTypes);
        }
        JsonObject responses = op.getJsonObject("responses", new JsonObject());
        for (String status : responses.fieldNames()) {
          mediaTypes(
              doc, doc.resolve(ContractDocument.child(operation, "responses", status)), mediaTypes);
        }
      }
    }
    int checked = 0;
    for (String media : new HashSet<>(mediaTypes)) {
      JsonObject model = doc.object(media);
      if (!model.containsKey("schema")
          || !(media.contains("json") || media.contains("application~1problem"))) {
        continue;
      }
      String schema = ContractDocument.child(media, "schema");
      if (model.containsKey("example")) {
        checked++;
        doc.schemaErrors(schema, model.getValue("example"))
            .forEach(error -> wrong.add(media + "/example " + error));
      }
      JsonObject examples = model.getJsonObject("examples", new JsonObject());
      for (String name : examples.fieldNames()) {
        JsonObject example = doc.object(ContractDocument.child(media, "examples", name));
        if (example.containsKey("value")) {
          checked++;
          doc.schemaErrors(schema, example.getValue("value"))
              .forEach(error -> wrong.add(media + "/examples/" + name + " " + error));
        }
      }
    }
    assertTrue(checked > 20, "examples checked: " + checked);
    assertEquals(List.of(), wrong);
  }

  @Test
  void asyncApiExamplesMatchTheirPayloads() {
    FrameContract frames = FrameContract.get();
    ContractDocument doc = frames.document();
    JsonObject messages = doc.root().getJsonObject("components").getJsonObject("messages");
    List<String> wrong = new ArrayList<>();
    int checked = 0;
    for (String name : messages.fieldNames()) {
      JsonArray examples = messages.getJsonObject(name).getJsonArray("examples", new JsonArray());
      String payload =
          doc.resolve(ContractDocument.child("#/components/messages", name, "payload"));
      for (int i = 0; i < examples.size(); i++) {
        checked++;
        Object value = examples.getJsonObject(i).getValue("payload");
        for (String error : doc.schemaErrors(payload, value)) {
          wrong.add(name + " example " + i + ": " + error);
        }
      }
    }
    assertTrue(checked > 15, "examples checked: " + checked);
    assertEquals(List.of(), wrong);
  }

  private static void mediaTypes(ContractDocument doc, String owner, List<String> into) {
    JsonObject content = doc.object(owner).getJsonObject("content");
    if (content != null) {
      for (String type : content.fieldNames()) {
        into.add(ContractDocument.child(owner, "content", type));
      }
    }
  }

  private static List<String> openApiSchemaPointers(ContractDocument doc) {
    List<String> pointers = new ArrayList<>();
    JsonObject components = doc.root().getJsonObject("components");
    for (String name : components.getJsonObject("schemas").fieldNames()) {
      pointers.add(ContractDocument.child("#/components/schemas", name));
    }
    collectEmbedded(doc, "#", doc.root(), pointers);
    return pointers;
  }

  /** Schemas inside parameters, headers and media types, wherever they are. */
  private static void collectEmbedded(
      ContractDocument doc, String pointer, Object node, List<String> into) {
    if (node instanceof JsonObject object) {
      for (String key : object.fieldNames()) {
        String child = ContractDocument.child(pointer, key);
        if (key.equals("schema") && object.getValue(key) instanceof JsonObject) {
          into.add(child);
        } else if (!pointer.equals("#/components/schemas")) {
          collectEmbedded(doc, child, object.getValue(key), into);
        }
      }
    } else if (node instanceof JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        collectEmbedded(doc, pointer + "/" + i, array.getValue(i), into);
      }
    }
  }

  private static void strayKeys(ContractDocument doc, String pointer, List<String> stray) {
    Object node = doc.at(pointer);
    if (!(node instanceof JsonObject schema)) {
      return;
    }
    for (String key : schema.fieldNames()) {
      if (!SCHEMA_KEYWORDS.contains(key) && !key.startsWith("x-")) {
        stray.add(pointer + ": '" + key + "' is no schema keyword");
      }
    }
    for (String key : SCHEMA_MAPS) {
      JsonObject map = schema.getJsonObject(key);
      if (map != null) {
        map.fieldNames()
            .forEach(name -> strayKeys(doc, ContractDocument.child(pointer, key, name), stray));
      }
    }
    for (String key : SCHEMA_VALUES) {
      if (schema.getValue(key) instanceof JsonObject) {
        strayKeys(doc, ContractDocument.child(pointer, key), stray);
      }
    }
    for (String key : SCHEMA_LISTS) {
      JsonArray list = schema.getJsonArray(key);
      for (int i = 0; list != null && i < list.size(); i++) {
        strayKeys(doc, ContractDocument.child(pointer, key, "" + i), stray);
      }
    }
  }

  private static void references(ContractDocument doc, Object node, List<String> broken) {
    if (node instanceof JsonObject object) {
      Object ref = object.getValue("$ref");
      if (ref instanceof String target && doc.at(target) == null) {
        broken.add(target);
      }
      object.forEach(entry -> references(doc, entry.getValue(), broken));
    } else if (node instanceof JsonArray array) {
      array.forEach(item -> references(doc, item, broken));
    }
  }
}

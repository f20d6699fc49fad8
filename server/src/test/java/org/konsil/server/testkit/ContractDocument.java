package org.konsil.server.testkit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * One of the API contracts in {@code docs/} (OpenAPI, AsyncAPI), parsed strictly: a key given twice
 * is an error, and scalars are read as JSON reads them (no dates, no {@code yes}/{@code on} as
 * booleans), so that what the tests check is what any other YAML 1.2 tool reads.
 */
public final class ContractDocument {

  private final Path file;
  private final JsonObject root;
  // A copy of the document that the schema repository annotates while it indexes every schema.
  private final JsonObject indexed;
  private final JsonSchemaOptions options;
  private int inline;
  private final SchemaRepository schemas;
  private final String base;

  private ContractDocument(Path file, JsonObject root, Draft draft) {
    this.file = file;
    this.root = root;
    this.base = "https://contract.konsil.test/" + file.getFileName();
    this.indexed = root.copy();
    this.options =
        new JsonSchemaOptions()
            .setDraft(draft)
            .setBaseUri(base)
            .setOutputFormat(OutputFormat.Basic);
    this.schemas = SchemaRepository.create(options);
    schemas.dereference(base, JsonSchema.of(indexed));
  }

  /**
   * Reads {@code docs/<name>} of the repository this test runs in; its schemas follow the JSON
   * Schema draft given (2020-12 for OpenAPI 3.1, draft 7 for AsyncAPI 3).
   */
  public static ContractDocument load(String name, Draft draft) {
    Path file = docs().resolve(name);
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      Object parsed = yaml().load(reader);
      if (!(parsed instanceof Map<?, ?> map)) {
        throw new IllegalStateException(file + " is not a YAML mapping");
      }
      return new ContractDocument(file, toJson(map), draft);
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * What is wrong with the value by the schema at the pointer (such as {@code
   * #/components/schemas/Room}); empty when it is valid. Each entry names the place in the value
   * and the schema keyword that refused it.
   */
  public synchronized List<String> schemaErrors(String pointer, Object value) {
    Object schema = at(indexed, pointer);
    if (schema == null) {
      throw new IllegalArgumentException(file.getFileName() + ": no schema at " + pointer);
    }
    JsonSchema jsonSchema =
        schema instanceof Boolean bool ? JsonSchema.of(bool) : JsonSchema.of((JsonObject) schema);
    // a schema the repository did not index (one inside a list of parameters) is resolved now
    OutputUnit result =
        schema instanceof JsonObject object && !object.containsKey("__absolute_uri__")
            ? schemas
                .validator(
                    JsonSchema.of((JsonObject) absolute(object.copy())),
                    new JsonSchemaOptions(options).setBaseUri(base + "/inline/" + inline++),
                    true)
                .validate(value)
            : schemas.validator(jsonSchema).validate(value);
    List<String> errors = new ArrayList<>();
    if (Boolean.TRUE.equals(result.getValid())) {
      return errors;
    }
    List<OutputUnit> units = result.getErrors() == null ? List.of(result) : result.getErrors();
    for (OutputUnit unit : units) {
      String where = unit.getInstanceLocation();
      errors.add(
          (where == null || where.isEmpty() ? "(the whole value)" : where)
              + ": "
              + unit.getError()
              + " ["
              + unit.getKeywordLocation()
              + "]");
    }
    return errors;
  }

  /** The repository's docs folder, found from the working directory of the test run. */
  public static Path docs() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("docs/openapi.yaml"))) {
        return dir.resolve("docs");
      }
    }
    throw new IllegalStateException("no docs/openapi.yaml above " + Path.of("").toAbsolutePath());
  }

  public Path file() {
    return file;
  }

  /** The whole document as JSON; callers must not change it. */
  public JsonObject root() {
    return root;
  }

  /** The value at a local reference such as {@code #/components/schemas/Room}, or null. */
  public Object at(String ref) {
    return at(root, ref);
  }

  private static Object at(JsonObject root, String ref) {
    if (!ref.startsWith("#")) {
      throw new IllegalArgumentException("only local references are used: " + ref);
    }
    Object node = root;
    String pointer = ref.substring(1);
    if (pointer.isEmpty()) {
      return node;
    }
    for (String raw : pointer.substring(1).split("/", -1)) {
      String token = raw.replace("~1", "/").replace("~0", "~");
      if (node instanceof JsonObject object) {
        node = object.getValue(token);
      } else if (node instanceof JsonArray array && token.matches("\\d+")) {
        int index = Integer.parseInt(token);
        node = index < array.size() ? array.getValue(index) : null;
      } else {
        return null;
      }
    }
    return node;
  }

  /**
   * The pointer of what the object at the pointer refers to, following {@code $ref} (also a chain
   * of them); the pointer itself when it is no reference.
   */
  public String resolve(String pointer) {
    String current = pointer;
    for (int hops = 0; ; hops++) {
      Object node = at(current);
      if (!(node instanceof JsonObject object) || !object.containsKey("$ref")) {
        return current;
      }
      if (hops > 20) {
        throw new IllegalStateException(file.getFileName() + ": reference cycle at " + pointer);
      }
      String ref = object.getString("$ref");
      if (!(at(ref) instanceof JsonObject)) {
        throw new IllegalStateException(file.getFileName() + ": unresolved $ref " + ref);
      }
      current = ref;
    }
  }

  /** The object at the pointer after following its references. */
  public JsonObject object(String pointer) {
    Object node = at(resolve(pointer));
    return node instanceof JsonObject object ? object : null;
  }

  /** The pointer to a member of the object at the pointer. */
  public static String child(String pointer, String... tokens) {
    StringBuilder result = new StringBuilder(pointer);
    for (String token : tokens) {
      result.append('/').append(pointerToken(token));
    }
    return result.toString();
  }

  /** Makes the local references of a schema absolute, so that they resolve from anywhere. */
  private Object absolute(Object node) {
    if (node instanceof JsonObject object) {
      for (String key : List.copyOf(object.fieldNames())) {
        Object value = object.getValue(key);
        if (key.equals("$ref") && value instanceof String ref && ref.startsWith("#")) {
          object.put(key, base + ref);
        } else {
          absolute(value);
        }
      }
    } else if (node instanceof JsonArray array) {
      array.forEach(this::absolute);
    }
    return node;
  }

  /** Encodes one token of a JSON pointer. */
  public static String pointerToken(String token) {
    return token.replace("~", "~0").replace("/", "~1");
  }

  private static Yaml yaml() {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(10);
    DumperOptions dumper = new DumperOptions();
    return new Yaml(
        new SafeConstructor(options), new Representer(dumper), dumper, options, new JsonScalars());
  }

  /** YAML 1.2's JSON schema for plain scalars: null, true/false, numbers; everything else text. */
  private static final class JsonScalars extends Resolver {
    @Override
    protected void addImplicitResolvers() {
      addImplicitResolver(
          Tag.BOOL, Pattern.compile("^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF");
      addImplicitResolver(Tag.INT, Pattern.compile("^-?(?:0|[1-9][0-9]*)$"), "-0123456789");
      addImplicitResolver(
          Tag.FLOAT,
          Pattern.compile("^-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$"),
          "-0123456789");
      addImplicitResolver(Tag.NULL, Pattern.compile("^(?:~|null|Null|NULL| *)$"), "~nN\0");
      addImplicitResolver(Tag.NULL, Pattern.compile("^$"), null);
    }
  }

  private static JsonObject toJson(Map<?, ?> map) {
    JsonObject object = new JsonObject();
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      object.put(String.valueOf(entry.getKey()), toJsonValue(entry.getValue()));
    }
    return object;
  }

  private static Object toJsonValue(Object value) {
    if (value instanceof Map<?, ?> map) {
      return toJson(map);
    }
    if (value instanceof List<?> list) {
      JsonArray array = new JsonArray();
      list.forEach(item -> array.add(toJsonValue(item)));
      return array;
    }
    if (value == null
        || value instanceof String
        || value instanceof Boolean
        || value instanceof Number) {
      return value;
    }
    throw new IllegalStateException("not a JSON value in a contract: " + value.getClass());
  }
}

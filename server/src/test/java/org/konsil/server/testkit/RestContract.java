package org.konsil.server.testkit;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * {@code docs/openapi.yaml} as a check of every answer the tests receive: the status must be
 * declared for the operation, the content type must be one the response declares, a JSON body must
 * match the response's schema and the declared required headers must be there. A path the contract
 * does not know must answer 404 with a problem document, a method it does not declare 405 with an
 * {@code Allow} header naming the declared methods.
 */
public final class RestContract {

  private static final Set<String> METHODS =
      Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
  private static final String PROBLEM = "#/components/schemas/Problem";
  private static RestContract instance;

  private final ContractDocument doc;
  private final List<PathTemplate> paths = new ArrayList<>();

  /** One path of the contract with its operations (method to the pointer of the operation). */
  private record PathTemplate(
      String template, Pattern pattern, int literals, Map<String, String> operations) {}

  private RestContract(ContractDocument doc) {
    this.doc = doc;
    JsonObject pathItems = doc.root().getJsonObject("paths");
    for (String template : pathItems.fieldNames()) {
      String itemPointer = ContractDocument.child("#/paths", template);
      Map<String, String> operations = new LinkedHashMap<>();
      for (String key : pathItems.getJsonObject(template).fieldNames()) {
        if (METHODS.contains(key)) {
          operations.put(key.toUpperCase(Locale.ROOT), ContractDocument.child(itemPointer, key));
        }
      }
      StringBuilder regex = new StringBuilder();
      int literals = 0;
      for (String segment : template.substring(1).split("/", -1)) {
        regex.append('/');
        if (segment.startsWith("{") && segment.endsWith("}")) {
          regex.append("[^/]+");
        } else {
          regex.append(Pattern.quote(segment));
          literals++;
        }
      }
      paths.add(
          new PathTemplate(
              template,
              Pattern.compile(template.equals("/") ? "/" : regex.toString()),
              literals,
              operations));
    }
    // a literal segment wins over a parameter (/invitations/received before /invitations/{id})
    paths.sort(Comparator.comparingInt(PathTemplate::literals).reversed());
  }

  /** The contract, read once per test run. */
  public static synchronized RestContract get() {
    if (instance == null) {
      instance = new RestContract(ContractDocument.load("openapi.yaml", Draft.DRAFT202012));
    }
    return instance;
  }

  public ContractDocument document() {
    return doc;
  }

  /**
   * Fails with an {@link AssertionError} that names the operation, the status and what is wrong
   * when the answer does not keep the contract.
   */
  public void check(String method, String uri, int status, MultiMap headers, Buffer body) {
    check(method, uri, null, null, status, headers, body);
  }

  /**
   * The same, knowing the request's body too: an answer 2xx to a request the contract refuses, or
   * {@code 422 validation_failed} to one it accepts (unless the operation lists the rule in {@code
   * x-validation-rules}), shows that the contract and the server disagree.
   */
  public void check(
      String method,
      String uri,
      String requestType,
      Buffer requestBody,
      int status,
      MultiMap headers,
      Buffer body) {
    List<String> violations =
        violations(method, uri, requestType, requestBody, status, headers, body);
    if (!violations.isEmpty()) {
      String text = body == null ? "" : body.toString();
      throw new AssertionError(
          "The answer breaks docs/openapi.yaml: "
              + describe(method, uri)
              + " answered "
              + status
              + " "
              + headers.get("Content-Type")
              + "\n  - "
              + String.join("\n  - ", violations)
              + "\n  body: "
              + (text.length() > 600 ? text.substring(0, 600) + "..." : text));
    }
  }

  /** What is wrong with the answer by the contract; empty when it keeps it. */
  public List<String> violations(
      String method, String uri, int status, MultiMap headers, Buffer body) {
    return violations(method, uri, null, null, status, headers, body);
  }

  /** What is wrong with the answer to the request by the contract; empty when it keeps it. */
  public List<String> violations(
      String method,
      String uri,
      String requestType,
      Buffer requestBody,
      int status,
      MultiMap headers,
      Buffer body) {
    String path = path(uri);
    PathTemplate template = find(path);
    if (template == null) {
      return unknownPath(path, status, headers, body);
    }
    boolean head = method.equals("HEAD") && !template.operations().containsKey("HEAD");
    String operation = template.operations().get(head ? "GET" : method);
    if (operation == null) {
      return methodNotAllowed(template, status, headers, body);
    }
    String responsePointer = response(operation, status);
    if (responsePointer == null) {
      return List.of(
          "status "
              + status
              + " is not declared for "
              + operationId(operation)
              + " (declared: "
              + doc.object(operation).getJsonObject("responses").fieldNames()
              + ")");
    }
    List<String> violations = new ArrayList<>();
    JsonObject response = doc.object(responsePointer);
    String resolved = doc.resolve(responsePointer);
    checkHeaders(resolved, response, headers, violations);
    if (!head) {
      checkBody(resolved, response, headers, body, violations);
      checkProblemCode(operation, resolved, status, headers, body, violations);
    }
    if (violations.isEmpty()) {
      checkRequestVerdict(operation, uri, requestType, requestBody, status, body, violations);
    }
    return violations;
  }

  /**
   * Whether the server judged the request as the contract does: what breaks the request's schemas
   * is not accepted, and what keeps them is not refused as invalid without a documented rule.
   */
  private void checkRequestVerdict(
      String operation,
      String uri,
      String requestType,
      Buffer requestBody,
      int status,
      Buffer body,
      List<String> violations) {
    List<String> requestErrors = new ArrayList<>();
    boolean judged = queryErrors(operation, uri, requestErrors);
    // the global rules of the contract's description: no control character in a query, no U+0000
    // in a JSON body
    String query = uri.indexOf('?') < 0 ? "" : uri.substring(uri.indexOf('?') + 1);
    if (query.matches("(?i).*%(?:[01][0-9a-f]|7f).*")) {
      requestErrors.add("a query parameter holds a control character");
    }
    if (requestBody != null
        && requestType != null
        && isJson(requestType)
        && (requestBody.toString().contains("\\u0000") || requestBody.toString().indexOf(0) >= 0)) {
      requestErrors.add("the body holds U+0000");
    }
    JsonObject requestModel = doc.object(ContractDocument.child(operation, "requestBody"));
    if (requestModel != null && requestType != null && isJson(requestType)) {
      String owner = doc.resolve(ContractDocument.child(operation, "requestBody"));
      JsonObject content = requestModel.getJsonObject("content", new JsonObject());
      for (String declared : content.fieldNames()) {
        if (matches(declared, requestType)
            && content.getJsonObject(declared).containsKey("schema")) {
          Object json;
          try {
            json =
                requestBody == null || requestBody.length() == 0
                    ? null
                    : Json.decodeValue(requestBody);
          } catch (DecodeException e) {
            return; // malformed JSON is the server's 400 to judge
          }
          if (json == null) {
            if (requestModel.getBoolean("required", false)) {
              requestErrors.add("the request body is missing");
            }
          } else {
            doc.schemaErrors(ContractDocument.child(owner, "content", declared, "schema"), json)
                .forEach(error -> requestErrors.add("request body " + error));
          }
          judged = true;
          break;
        }
      }
    }
    if (!judged) {
      return;
    }
    if (status >= 200 && status < 300 && !requestErrors.isEmpty()) {
      violations.add(
          "the server accepted a request that the contract refuses: "
              + String.join("; ", requestErrors));
    }
    if (status == 422 && requestErrors.isEmpty()) {
      Object json = Json.decodeValue(body);
      JsonObject op = doc.object(operation);
      if (json instanceof JsonObject problem
          && "validation_failed".equals(problem.getValue("code"))
          && !op.containsKey("x-validation-rules")) {
        violations.add(
            "the server refused as invalid a request that the contract accepts ("
                + problem.getString("detail")
                + "): tighten the schema, or list the rule in x-validation-rules");
      }
    }
  }

  /**
   * Checks the query parameters of the request against the operation's declared ones (names, and
   * values by their schemas); false when the operation has none and none was sent.
   */
  private boolean queryErrors(String operation, String uri, List<String> errors) {
    Map<String, String> declared = new LinkedHashMap<>();
    String item = operation.substring(0, operation.lastIndexOf('/'));
    for (String owner : List.of(item, operation)) {
      JsonObject model = doc.object(owner);
      JsonArray parameters = model.getJsonArray("parameters");
      for (int i = 0; parameters != null && i < parameters.size(); i++) {
        String pointer = doc.resolve(ContractDocument.child(owner, "parameters", "" + i));
        JsonObject parameter = doc.object(pointer);
        if ("query".equals(parameter.getString("in"))) {
          declared.put(parameter.getString("name"), pointer);
        }
      }
    }
    Map<String, List<String>> sent = new QueryStringDecoder(uri).parameters();
    for (Map.Entry<String, String> parameter : declared.entrySet()) {
      if (doc.object(parameter.getValue()).getBoolean("required", false)
          && !sent.containsKey(parameter.getKey())) {
        errors.add("the required query parameter '" + parameter.getKey() + "' is missing");
      }
    }
    if (sent.isEmpty()) {
      return !declared.isEmpty();
    }
    for (String name : sent.keySet()) {
      String pointer = declared.get(name);
      if (pointer == null) {
        errors.add("query parameter '" + name + "' is not declared");
        continue;
      }
      JsonObject parameter = doc.object(pointer);
      if (!parameter.containsKey("schema")) {
        continue;
      }
      String schema = ContractDocument.child(pointer, "schema");
      for (String value : sent.get(name)) {
        Object typed = value;
        String type = doc.object(schema).getString("type");
        if ("integer".equals(type)) {
          try {
            typed = Long.parseLong(value);
          } catch (NumberFormatException e) {
            errors.add("query parameter '" + name + "' is not a whole number");
            continue;
          }
        }
        doc.schemaErrors(schema, typed)
            .forEach(error -> errors.add("query parameter '" + name + "' " + error));
      }
    }
    return true;
  }

  /**
   * A problem's code must be named for the operation and status: as the name or value of an example
   * of the response, or in backticks in the response's or the operation's description.
   */
  private void checkProblemCode(
      String operation,
      String responsePointer,
      int status,
      MultiMap headers,
      Buffer body,
      List<String> violations) {
    String type = headers.get("Content-Type");
    if (!violations.isEmpty()
        || type == null
        || !mediaType(type).equals("application/problem+json")
        || body == null
        || body.length() == 0) {
      return;
    }
    Object json = Json.decodeValue(body);
    if (!(json instanceof JsonObject problem) || !(problem.getValue("code") instanceof String)) {
      return;
    }
    String code = problem.getString("code");
    JsonObject response = doc.object(responsePointer);
    JsonObject content = response.getJsonObject("content", new JsonObject());
    for (String media : content.fieldNames()) {
      JsonObject examples =
          doc.object(ContractDocument.child(responsePointer, "content", media))
              .getJsonObject("examples", new JsonObject());
      for (String name : examples.fieldNames()) {
        JsonObject example =
            doc.object(ContractDocument.child(responsePointer, "content", media, "examples", name));
        Object value = example == null ? null : example.getValue("value");
        if (name.equals(code)
            || (value instanceof JsonObject object && code.equals(object.getValue("code")))) {
          return;
        }
      }
    }
    String named = "`" + code + "`";
    String described =
        response.getString("description", "") + doc.object(operation).getString("description", "");
    if (described.contains(named)) {
      return;
    }
    violations.add(
        "the problem code "
            + code
            + " is not named for "
            + operationId(operation)
            + " "
            + status
            + " (neither an example nor `"
            + code
            + "` in the response's or the operation's description)");
  }

  /** The methods the contract declares for the path, or null when it knows no such path. */
  public Set<String> methods(String uri) {
    PathTemplate template = find(path(uri));
    return template == null ? null : new TreeSet<>(template.operations().keySet());
  }

  private String describe(String method, String uri) {
    PathTemplate template = find(path(uri));
    if (template == null) {
      return method + " " + uri + " (no path of the contract)";
    }
    String operation = template.operations().get(method);
    return (operation == null ? "(method not declared)" : operationId(operation))
        + " "
        + method
        + " "
        + template.template()
        + " ("
        + uri
        + ")";
  }

  private String operationId(String operationPointer) {
    return doc.object(operationPointer).getString("operationId", operationPointer);
  }

  private static String path(String uri) {
    int end = uri.length();
    for (char stop : new char[] {'?', '#'}) {
      int at = uri.indexOf(stop);
      if (at >= 0 && at < end) {
        end = at;
      }
    }
    String path = uri.substring(0, end);
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    return path;
  }

  private PathTemplate find(String path) {
    for (PathTemplate template : paths) {
      if (template.pattern().matcher(path).matches()) {
        return template;
      }
    }
    return null;
  }

  private String response(String operation, int status) {
    JsonObject responses = doc.object(operation).getJsonObject("responses");
    String code = Integer.toString(status);
    for (String key : List.of(code, code.charAt(0) + "XX", "default")) {
      if (responses.containsKey(key)) {
        return ContractDocument.child(operation, "responses", key);
      }
    }
    return null;
  }

  private List<String> unknownPath(String path, int status, MultiMap headers, Buffer body) {
    if (!path.startsWith("/api/") && status < 400) {
      // the web client's static files: described in prose only
      return List.of();
    }
    List<String> violations = new ArrayList<>();
    if (status != 404) {
      violations.add("a path the contract does not know must answer 404, not " + status);
    }
    checkProblem(headers, body, violations);
    return violations;
  }

  private List<String> methodNotAllowed(
      PathTemplate template, int status, MultiMap headers, Buffer body) {
    List<String> violations = new ArrayList<>();
    Set<String> declared = new TreeSet<>(template.operations().keySet());
    if (status != 405) {
      violations.add(
          "a method the contract does not declare for "
              + template.template()
              + " must answer 405, not "
              + status);
    }
    String allow = headers.get("Allow");
    if (allow == null) {
      violations.add("a 405 must carry an Allow header (declared methods: " + declared + ")");
    } else {
      Set<String> allowed = new TreeSet<>();
      for (String name : allow.split(",")) {
        if (!name.isBlank()) {
          allowed.add(name.trim().toUpperCase(Locale.ROOT));
        }
      }
      // HEAD comes with GET; OPTIONS is not part of the contract
      allowed.remove("OPTIONS");
      if (!declared.contains("HEAD")) {
        allowed.remove("HEAD");
      }
      if (!allowed.equals(declared)) {
        violations.add("Allow: " + allow + " does not name the declared methods " + declared);
      }
    }
    checkProblem(headers, body, violations);
    return violations;
  }

  private void checkProblem(MultiMap headers, Buffer body, List<String> violations) {
    String type = headers.get("Content-Type");
    if (type == null || !mediaType(type).equals("application/problem+json")) {
      violations.add("an error must be application/problem+json, not " + type);
      return;
    }
    Object json = parse(body, violations);
    if (json != null) {
      doc.schemaErrors(PROBLEM, json).forEach(error -> violations.add("Problem " + error));
    }
  }

  private void checkHeaders(
      String responsePointer, JsonObject response, MultiMap actual, List<String> violations) {
    JsonObject declared = response.getJsonObject("headers");
    if (declared == null) {
      return;
    }
    for (String name : declared.fieldNames()) {
      if (name.equalsIgnoreCase("Content-Type")) {
        continue;
      }
      String headerPointer = doc.resolve(ContractDocument.child(responsePointer, "headers", name));
      JsonObject header = doc.object(headerPointer);
      String value = actual.get(name);
      if (value == null) {
        if (header.getBoolean("required", false)) {
          violations.add("the required header " + name + " is missing");
        }
        continue;
      }
      if (!header.containsKey("schema")) {
        continue;
      }
      String schemaPointer = ContractDocument.child(headerPointer, "schema");
      Object typed = value;
      if ("integer".equals(doc.object(schemaPointer).getString("type"))) {
        try {
          typed = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
          violations.add("header " + name + ": '" + value + "' is not an integer");
          continue;
        }
      }
      doc.schemaErrors(schemaPointer, typed)
          .forEach(error -> violations.add("header " + name + " " + error));
    }
  }

  private void checkBody(
      String responsePointer,
      JsonObject response,
      MultiMap headers,
      Buffer body,
      List<String> violations) {
    JsonObject content = response.getJsonObject("content");
    boolean empty = body == null || body.length() == 0;
    if (content == null || content.isEmpty()) {
      if (!empty) {
        violations.add("the response declares no body, but one came");
      }
      return;
    }
    String actualType = headers.get("Content-Type");
    if (actualType == null) {
      violations.add("no Content-Type (declared: " + content.fieldNames() + ")");
      return;
    }
    String declaredType = null;
    for (String candidate : content.fieldNames()) {
      if (matches(candidate, actualType)) {
        declaredType = candidate;
        break;
      }
    }
    if (declaredType == null) {
      violations.add(
          "Content-Type "
              + actualType
              + " is not declared (declared: "
              + content.fieldNames()
              + ")");
      return;
    }
    String mediaPointer = ContractDocument.child(responsePointer, "content", declaredType);
    JsonObject media = doc.object(mediaPointer);
    if (!isJson(declaredType) || media == null || !media.containsKey("schema")) {
      return;
    }
    Object json = parse(body, violations);
    if (json != null) {
      violations.addAll(doc.schemaErrors(ContractDocument.child(mediaPointer, "schema"), json));
    }
  }

  private static Object parse(Buffer body, List<String> violations) {
    if (body == null || body.length() == 0) {
      violations.add("the JSON body is missing");
      return null;
    }
    try {
      return Json.decodeValue(body);
    } catch (DecodeException e) {
      violations.add("the body is not JSON: " + e.getMessage());
      return null;
    }
  }

  private static boolean isJson(String mediaType) {
    String type = mediaType(mediaType);
    return type.equals("application/json") || type.endsWith("+json");
  }

  /** The type/subtype of a media type, lower case, without parameters. */
  private static String mediaType(String value) {
    int semicolon = value.indexOf(';');
    return (semicolon < 0 ? value : value.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
  }

  private static Map<String, String> parameters(String value) {
    Map<String, String> parameters = new LinkedHashMap<>();
    String[] parts = value.split(";");
    for (int i = 1; i < parts.length; i++) {
      int equals = parts[i].indexOf('=');
      if (equals > 0) {
        parameters.put(
            parts[i].substring(0, equals).trim().toLowerCase(Locale.ROOT),
            parts[i].substring(equals + 1).trim().replace("\"", "").toLowerCase(Locale.ROOT));
      }
    }
    return parameters;
  }

  /**
   * Whether an answer's Content-Type is the declared media type: the same type (a declared {@code
   * image/*} takes any image) and every parameter the contract names with its value.
   */
  static boolean matches(String declared, String actual) {
    String want = mediaType(declared);
    String got = mediaType(actual);
    boolean sameType =
        want.equals(got)
            || want.equals("*/*")
            || (want.endsWith("/*") && got.startsWith(want.substring(0, want.length() - 1)));
    return sameType && parameters(actual).entrySet().containsAll(parameters(declared).entrySet());
  }
}

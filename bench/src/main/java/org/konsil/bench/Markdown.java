package org.konsil.bench;

import io.vertx.core.json.JsonObject;
import java.util.Locale;

/** The report as a Markdown table: medians, the targets next to them, and the ceilings. */
final class Markdown {

  private Markdown() {}

  static String of(JsonObject report) {
    JsonObject m = report.getJsonObject("medians");
    JsonObject machine = report.getJsonObject("machine");
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "### Preset `%s` (%d rooms × %d members), %s node(s), medians of %d runs, %d s per"
                + " phase%n%n",
            report.getString("preset"),
            report.getInteger("rooms"),
            report.getInteger("members"),
            report.getString("nodes"),
            report.getInteger("runs"),
            report.getInteger("secondsPerPhase")));
    out.append(
        String.format(
            Locale.ROOT,
            "Machine: %s cores (%s), %s, Java %s. Server, PostgreSQL and load generator share"
                + " these cores.%n%n",
            machine.getValue("cores"),
            machine.getString("cpu", "?"),
            machine.getString("memory", "?"),
            machine.getString("java")));
    JsonObject database = report.getJsonObject("database", new JsonObject());
    out.append(
        String.format(
            Locale.ROOT,
            "Database settings, read back from the running PostgreSQL: fsync=%s,"
                + " synchronous_commit=%s, full_page_writes=%s.%n%n",
            database.getString("fsync", "?"),
            database.getString("synchronousCommit", "?"),
            database.getString("fullPageWrites", "?")));
    out.append("| figure | median | target |\n|---|---:|---|\n");
    row(out, "connections (active)", m.getDouble("connections", (double) 0), "%.0f", "");
    row(
        out,
        "connection set-up p50 / p99 (ms)",
        pair(m.getDouble("setupP50Ms"), m.getDouble("setupP99Ms")),
        "");
    phase(
        out,
        m.getJsonObject("open"),
        "open loop at " + report.getInteger("openRate") + " msg/s",
        true);
    int members = report.getInteger("rooms") * report.getInteger("members");
    int senders = report.getInteger("closedSenders", members);
    phase(
        out,
        m.getJsonObject("closed"),
        senders == members
            ? "closed loop (saturated)"
            : "closed loop, " + senders + " of " + members + " members sending",
        false);
    phase(out, m.getJsonObject("openWithIdle"), "open loop with the idle connections", true);
    if (m.containsKey("memoryPerIdleConnectionBytes")) {
      row(out, "idle connections", (double) report.getInteger("idleConnections"), "%.0f", "10,000");
      row(
          out,
          "server memory per idle connection: live heap + resident outside the heap (KiB)",
          m.getDouble("memoryPerIdleConnectionBytes") / 1024,
          "%.1f",
          "≤ 20 KiB resident");
      row(
          out,
          "… live heap (KiB)",
          m.getDouble("heapPerIdleConnectionBytes") / 1024,
          "%.1f",
          "≤ 10 KiB");
      row(
          out,
          "… resident outside the heap (KiB)",
          m.getDouble("nativePerIdleConnectionBytes") / 1024,
          "%.1f",
          "");
    }
    JsonObject off = m.getJsonObject("databaseOff");
    if (off != null) {
      row(
          out,
          "ceiling: fan-out with the database off, acked msg/s",
          off.getDouble("ackedPerSecond"),
          "%.0f",
          "");
      row(out, "ceiling: … delivered msg/s", off.getDouble("deliveredPerSecond"), "%.0f", "");
    }
    if (m.containsKey("postgresMessagesPerSecond")) {
      row(
          out,
          "ceiling: PostgreSQL message writes/s (pgbench, 16 clients)",
          m.getDouble("postgresMessagesPerSecond"),
          "%.0f",
          "");
    }
    if (m.containsKey("postgresAtOpenRateP99Ms")) {
      row(
          out,
          "ceiling: PostgreSQL alone at "
              + report.getInteger("openRate")
              + " message writes/s (pgbench --rate, 16 clients), p50 / p99 (ms)",
          pair(m.getDouble("postgresAtOpenRateP50Ms"), m.getDouble("postgresAtOpenRateP99Ms")),
          "");
    }
    if (m.containsKey("closedToDatabaseOff")) {
      row(
          out,
          "closed loop ÷ database-off ceiling",
          m.getDouble("closedToDatabaseOff"),
          "%.2f",
          "");
    }
    if (m.containsKey("closedToPostgres")) {
      row(
          out,
          "closed loop ÷ PostgreSQL ceiling",
          m.getDouble("closedToPostgres"),
          "%.2f",
          "≥ 0.50");
    }
    return out.toString();
  }

  private static void phase(StringBuilder out, JsonObject p, String name, boolean open) {
    if (p == null) {
      return;
    }
    row(out, name + ": acked msg/s", p.getDouble("ackedPerSecond"), "%.0f", open ? "" : "≥ 10,000");
    row(
        out,
        name + ": delivered msg/s",
        p.getDouble("deliveredPerSecond"),
        "%.0f",
        open ? "" : "≥ 90,000");
    row(
        out,
        name + ": lost / duplicated / refused",
        String.format(
            Locale.ROOT,
            "%.0f / %.0f / %.0f",
            p.getDouble("lost"),
            p.getDouble("duplicated"),
            p.getDouble("refused")),
        "0 / 0 / –");
    JsonObject d = p.getJsonObject("deliveryMs");
    JsonObject a = p.getJsonObject("ackMs");
    row(out, name + ": send→ack p50 / p99 / p99.9 / max (ms)", four(a), "");
    row(
        out,
        name + ": send→delivery p50 / p99 / p99.9 / max (ms)",
        four(d),
        open ? "p99 ≤ 15 ms" : "");
    row(
        out,
        name + ": CPU s server / PostgreSQL / generator",
        String.format(
            Locale.ROOT,
            "%.1f / %.1f / %.1f",
            p.getDouble("cpuServerSeconds"),
            p.getDouble("cpuDatabaseSeconds"),
            p.getDouble("cpuGeneratorSeconds")),
        "");
    if (p.containsKey("messagesPerStatement")) {
      row(
          out,
          name + ": messages per statement (warm-up included)",
          p.getDouble("messagesPerStatement"),
          "%.1f",
          "");
    }
  }

  private static String four(JsonObject l) {
    return String.format(
        Locale.ROOT,
        "%.2f / %.2f / %.2f / %.1f",
        l.getDouble("p50"),
        l.getDouble("p99"),
        l.getDouble("p999"),
        l.getDouble("max"));
  }

  private static String pair(Double a, Double b) {
    return String.format(Locale.ROOT, "%.1f / %.1f", a == null ? 0 : a, b == null ? 0 : b);
  }

  private static void row(
      StringBuilder out, String name, Double value, String format, String target) {
    row(out, name, value == null ? "–" : String.format(Locale.ROOT, format, value), target);
  }

  private static void row(StringBuilder out, String name, String value, String target) {
    out.append("| ")
        .append(name)
        .append(" | ")
        .append(value)
        .append(" | ")
        .append(target)
        .append(" |\n");
  }
}

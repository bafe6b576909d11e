package io.forkserve.runtime;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The APIs a server runs and its server-wide settings: from {@code --config FILE} (YAML, or JSON
 * when the name ends in {@code .json}), or the one API the flags describe. Immutable.
 */
final class ServeConfig {
  /*
   * File shape.
   *
   *   server:            server-wide flags by name (port, host, admin-token, worker-jvm-opts...)
   *   exclusive-devices: true (default) refuses two APIs listing the same non-cpu device
   *   apis:              a list of entries; each has name (required), class, jar, path (default
   *                      /NAME), workers, max-batch-size, batch-timeout, timeout, max-payload,
   *                      max-file-size, max-queue, devices (text "cuda:0,cuda:1" or a list)
   *
   * Precedence. A server-wide value: command-line flag > file > FORKSERVE_* environment >
   * default. A per-API value: the entry's key > environment > default; a per-API flag on the
   * command line overrides the entry when the file lists one API, and is refused (one line) when
   * it lists several, since it could not say which API it means. Every mistake is one line that
   * names the file and the entry.
   */

  /** Names of the API served without a config file, and the label of its metrics. */
  static final String DEFAULT_NAME = "default";

  static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]{0,62}");

  /** Paths the front answers itself, which no API may take. */
  static final Set<String> RESERVED =
      Set.of("/health", "/info", "/metrics", "/admin/workers", "/admin/reload");

  /** Entry key to the flag it sets; entry keys are the flag names except these two. */
  private static final Map<String, String> ENTRY_KEYS = entryKeys();

  private static final Set<String> TOP_KEYS = Set.of("server", "apis", "exclusive-devices");

  final Settings server;
  final List<ApiConfig> apis;

  private ServeConfig(Settings server, List<ApiConfig> apis) {
    this.server = server;
    this.apis = List.copyOf(apis);
  }

  /** One API named "default" described by the flags alone. */
  static ServeConfig ofFlags(Settings flags) {
    return new ServeConfig(flags, List.of(new ApiConfig(DEFAULT_NAME, flags)));
  }

  /**
   * The config {@code flags} name with {@code --config}, or {@link #ofFlags} without one; throws
   * IllegalArgumentException with one line naming the file and entry.
   */
  static ServeConfig load(Settings flags) {
    if (flags.config == null) {
      return ofFlags(flags);
    }
    Path file = Path.of(flags.config);
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read --config " + file + ": " + e);
    }
    return parse(file.getFileName().toString(), text, flags);
  }

  /** Parses {@code text} of the file {@code name} over {@code flags}. */
  static ServeConfig parse(String name, String text, Settings flags) {
    ObjectMapper mapper =
        name.toLowerCase(Locale.ROOT).endsWith(".json") ? new ObjectMapper() : new YAMLMapper();
    JsonNode root;
    try {
      root = mapper.readTree(text);
    } catch (JacksonException e) {
      int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
      throw new IllegalArgumentException(
          "config "
              + name
              + (line > 0 ? " line " + line : "")
              + ": "
              + e.getOriginalMessage().strip().replaceAll("\\s+", " "));
    }
    return new Reader(name, flags).read(root);
  }

  /** The API named {@code name}, or null. */
  ApiConfig api(String name) {
    for (ApiConfig api : apis) {
      if (api.name.equals(name)) {
        return api;
      }
    }
    return null;
  }

  private static Map<String, String> entryKeys() {
    Map<String, String> keys = new LinkedHashMap<>();
    for (String flag : Settings.PER_API) {
      keys.put(flag, flag);
    }
    keys.remove("api");
    keys.remove("api-path");
    keys.put("class", "api");
    keys.put("path", "api-path");
    return keys;
  }

  /** One reading of one file. */
  private static final class Reader {
    private final String file;
    private final Settings flags;

    Reader(String file, Settings flags) {
      this.file = file;
      this.flags = flags;
    }

    ServeConfig read(JsonNode root) {
      if (root == null || !root.isObject()) {
        throw fail("", "must be a mapping with an 'apis' list");
      }
      unknownKeys("", root, TOP_KEYS);
      Settings server = flags.with(serverValues(root.get("server")));
      JsonNode list = root.get("apis");
      if (list == null || !list.isArray() || list.isEmpty()) {
        throw fail("", "'apis' must be a list of at least one API");
      }
      if (list.size() > 1) {
        for (String flag : Settings.PER_API) {
          if (flags.given.contains(flag)) {
            throw fail(
                "",
                "--"
                    + flag
                    + " is set per API and the file lists "
                    + list.size()
                    + " APIs; set it in the API's entry");
          }
        }
      }
      List<ApiConfig> apis = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        apis.add(entry(i, list.get(i), server));
      }
      checkUnique(apis);
      checkDevices(apis, exclusive(root.get("exclusive-devices")));
      return new ServeConfig(server, apis);
    }

    private Map<String, String> serverValues(JsonNode server) {
      Map<String, String> values = new LinkedHashMap<>();
      if (server == null) {
        return values;
      }
      if (!server.isObject()) {
        throw fail("server", "must be a mapping of flag names to values");
      }
      for (Map.Entry<String, JsonNode> field : server.properties()) {
        String key = field.getKey();
        if (Settings.PER_API.contains(key)) {
          throw fail("server", "'" + key + "' is set per API, in an entry of 'apis'");
        }
        if (key.equals("config") || !Settings.DEFAULTS.containsKey(key)) {
          throw fail("server", "unknown key '" + key + "'");
        }
        if (!flags.given.contains(key)) {
          values.put(key, text("server", key, field.getValue()));
        }
      }
      return values;
    }

    private ApiConfig entry(int index, JsonNode node, Settings server) {
      String where = "apis[" + index + "]";
      if (node == null || !node.isObject()) {
        throw fail(where, "must be a mapping with at least 'name'");
      }
      JsonNode nameNode = node.get("name");
      String name = nameNode == null ? null : nameNode.asText();
      if (name == null || !NAME.matcher(name).matches()) {
        throw fail(where, "'name' must match " + NAME.pattern() + ", not " + name);
      }
      where = where + " (" + name + ")";
      Map<String, String> values = new HashMap<>();
      values.put("api-path", "/" + name);
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        String key = field.getKey();
        if (key.equals("name")) {
          continue;
        }
        String flag = ENTRY_KEYS.get(key);
        if (flag == null) {
          throw fail(where, "unknown key '" + key + "' (known: name, " + known() + ")");
        }
        if (!flags.given.contains(flag)) {
          values.put(flag, text(where, key, field.getValue()));
        }
      }
      Settings settings;
      try {
        settings = server.with(values);
      } catch (IllegalArgumentException e) {
        throw fail(where, e.getMessage());
      }
      if (RESERVED.contains(settings.apiPath)) {
        throw fail(where, "path " + settings.apiPath + " is the server's own route");
      }
      return new ApiConfig(name, settings);
    }

    private void checkUnique(List<ApiConfig> apis) {
      Map<String, String> names = new HashMap<>();
      Map<String, String> paths = new HashMap<>();
      for (int i = 0; i < apis.size(); i++) {
        ApiConfig api = apis.get(i);
        String where = "apis[" + i + "] (" + api.name + ")";
        String sameName = names.putIfAbsent(api.name, api.name);
        if (sameName != null) {
          throw fail(where, "duplicate name " + api.name);
        }
        String samePath = paths.putIfAbsent(api.settings.apiPath, api.name);
        if (samePath != null) {
          throw fail(where, "duplicate path " + api.settings.apiPath + ", also API " + samePath);
        }
      }
    }

    private void checkDevices(List<ApiConfig> apis, boolean exclusive) {
      if (!exclusive) {
        return;
      }
      Map<String, String> owners = new HashMap<>();
      for (int i = 0; i < apis.size(); i++) {
        ApiConfig api = apis.get(i);
        for (String device : api.settings.devices) {
          if (device.equals("cpu")) {
            continue;
          }
          String owner = owners.putIfAbsent(device, api.name);
          if (owner != null && !owner.equals(api.name)) {
            throw fail(
                "apis[" + i + "] (" + api.name + ")",
                "device "
                    + device
                    + " is already API "
                    + owner
                    + "'s (set exclusive-devices: false to share it)");
          }
        }
      }
    }

    private boolean exclusive(JsonNode node) {
      if (node == null) {
        return true;
      }
      if (!node.isBoolean()) {
        throw fail("exclusive-devices", "must be true or false, not " + node);
      }
      return node.booleanValue();
    }

    private void unknownKeys(String where, JsonNode node, Set<String> known) {
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (!known.contains(key)) {
          throw fail(
              where,
              "unknown key '"
                  + key
                  + "' (known: "
                  + String.join(", ", new java.util.TreeSet<>(known))
                  + ")");
        }
      }
    }

    private String text(String where, String key, JsonNode value) {
      if (value.isArray()) {
        List<String> parts = new ArrayList<>();
        value.forEach(v -> parts.add(v.asText()));
        return String.join(",", parts);
      }
      if (!value.isValueNode() || value.isNull()) {
        throw fail(where, "'" + key + "' must be a value, not " + value);
      }
      return value.asText();
    }

    private static String known() {
      return String.join(", ", ENTRY_KEYS.keySet());
    }

    private IllegalArgumentException fail(String where, String message) {
      return new IllegalArgumentException(
          "config " + file + (where.isEmpty() ? "" : ": " + where) + ": " + message);
    }
  }
}

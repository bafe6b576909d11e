// Validates Kubernetes manifests offline against the API's OpenAPI schemas (kubernetes-models)
// and the Prometheus Operator CRD schemas (@kubernetes-models/prometheus-operator).
//   node validate.mjs FILE_OR_DIR...   (a directory: its *.yaml and *.yml files, not recursive)
// Prints one line per document: "ok FILE KIND/NAME" or "invalid FILE KIND/NAME: why".
// Exit 0 when every document is valid, 1 when one is not, 2 when there is nothing to validate.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";

const OPERATOR_GROUP = "monitoring.coreos.com";

async function modelFor(apiVersion, kind) {
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const module =
    group === OPERATOR_GROUP
      ? `@kubernetes-models/prometheus-operator/${group}/${version}`
      : group === ""
        ? `kubernetes-models/${version}`
        : `kubernetes-models/${group}/${version}`;
  try {
    return (await import(module))[kind] ?? null;
  } catch {
    return null;
  }
}

function manifests(args) {
  const files = [];
  for (const arg of args) {
    if (statSync(arg).isDirectory()) {
      for (const name of readdirSync(arg).sort()) {
        if (/\.ya?ml$/.test(name)) files.push(join(arg, name));
      }
    } else {
      files.push(arg);
    }
  }
  return files;
}

async function check(doc) {
  if (doc === null || typeof doc !== "object") return "not a mapping";
  const { apiVersion, kind } = doc;
  if (typeof apiVersion !== "string" || typeof kind !== "string") return "no apiVersion/kind";
  if (!doc.metadata?.name) return "no metadata.name";
  const Model = await modelFor(apiVersion, kind);
  if (Model === null) return `no schema for ${apiVersion} ${kind}`;
  try {
    new Model(doc).validate();
    return null;
  } catch (e) {
    return e.message;
  }
}

let documents = 0;
let invalid = 0;
for (const file of manifests(process.argv.slice(2))) {
  let docs;
  try {
    docs = yaml.loadAll(readFileSync(file, "utf8")).filter((d) => d !== null);
  } catch (e) {
    console.log(`invalid ${file}: YAML: ${e.message.split("\n")[0]}`);
    invalid++;
    continue;
  }
  for (const doc of docs) {
    documents++;
    const what = `${doc?.kind}/${doc?.metadata?.name}`;
    const why = await check(doc);
    if (why === null) {
      console.log(`ok ${file} ${what}`);
    } else {
      console.log(`invalid ${file} ${what}: ${why}`);
      invalid++;
    }
  }
}
if (documents === 0 && invalid === 0) {
  console.log("no manifests given");
  process.exit(2);
}
process.exit(invalid === 0 ? 0 : 1);

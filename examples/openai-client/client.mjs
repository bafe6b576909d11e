// Calls a forkserve server's OpenAI-compatible endpoints with the official openai client and
// prints what it got as one JSON object; OpenAiIT checks it. Usage: node client.mjs BASE_URL
// (e.g. http://127.0.0.1:8000/v1). Serves examples/openai.yaml's models charlm and hash-embed.
import OpenAI from "openai";

const client = new OpenAI({ baseURL: process.argv[2], apiKey: process.argv[3] ?? "unused", maxRetries: 0 });
const messages = [{ role: "user", content: "The lighthouse keeper" }];
const out = {};

out.models = (await client.models.list()).data.map((m) => m.id);

const whole = await client.chat.completions.create({
  model: "charlm", messages, max_tokens: 40, seed: 7, temperature: 0.8,
});
out.whole = {
  object: whole.object,
  content: whole.choices[0].message.content,
  finish_reason: whole.choices[0].finish_reason,
  usage: whole.usage,
};

const stream = await client.chat.completions.create({
  model: "charlm", messages, max_tokens: 40, seed: 7, temperature: 0.8,
  stream: true, stream_options: { include_usage: true },
});
let content = "";
let chunks = 0;
let finish = null;
let usage = null;
for await (const chunk of stream) {
  chunks++;
  if (chunk.choices.length > 0) {
    content += chunk.choices[0].delta.content ?? "";
    finish = chunk.choices[0].finish_reason ?? finish;
  }
  usage = chunk.usage ?? usage;
}
out.stream = { content, chunks, finish_reason: finish, usage };

const texts = ["the cat sat on the mat", "a cat sat on a mat", "quantum chromodynamics"];
const base64 = await client.embeddings.create({ model: "hash-embed", input: texts });
const floats = await client.embeddings.create({
  model: "hash-embed", input: texts[0], encoding_format: "float",
});
out.embeddings = {
  vectors: base64.data.map((d) => Array.from(d.embedding)),
  float: floats.data[0].embedding,
  usage: base64.usage,
};

async function failure(call) {
  try {
    await call();
    return { status: 200 };
  } catch (e) {
    return { status: e.status, type: e.type, param: e.param, code: e.code, message: e.message };
  }
}
out.errors = {
  noMessages: await failure(() => client.chat.completions.create({ model: "charlm" })),
  unknownModel: await failure(() =>
    client.chat.completions.create({ model: "gpt-nothing", messages })),
  badEmbeddingInput: await failure(() =>
    client.embeddings.create({ model: "hash-embed", input: [[1, 2]] })),
};
console.log(JSON.stringify(out));

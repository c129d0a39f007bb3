// Drives a Hush server over streamable HTTP with the official TypeScript MCP
// client, and prints one JSON document describing what it saw. The Go test
// that starts the server asserts on it.
//   HUSH_URL=http://127.0.0.1:8080/mcp HUSH_TOKEN=... node client.mjs
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const url = new URL(process.env.HUSH_URL);
const headers = process.env.HUSH_TOKEN ? { Authorization: `Bearer ${process.env.HUSH_TOKEN}` } : {};
const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers } });
const client = new Client({ name: "hush-tsclient-test", version: "1.0.0" });

const out = {};
try {
  await client.connect(transport);
  out.server = client.getServerVersion();
  const { tools } = await client.listTools();
  out.tools = tools.map((t) => ({ name: t.name, required: t.inputSchema.required ?? [] }));
  out.find = await client.callTool({ name: "find_customer", arguments: { email: "ada@example.com" } });
  out.injection = await client.callTool({ name: "find_customer", arguments: { email: "x' OR '1'='1" } });
  out.badType = await client.callTool({ name: "find_customer", arguments: { email: 42 } });
  out.health = await client.callTool({ name: "health_check", arguments: {} });
  try {
    await client.callTool({ name: "no_such_tool", arguments: {} });
    out.unknownTool = "no error";
  } catch (e) {
    out.unknownTool = { code: e.code, message: e.message };
  }
} catch (e) {
  out.fatal = String(e && e.message ? e.message : e);
} finally {
  await client.close().catch(() => {});
}
process.stdout.write(JSON.stringify(out) + "\n");

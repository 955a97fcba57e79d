// Drives a tci server with the official together-ai TypeScript SDK, unmodified. The SDK reads
// TOGETHER_BASE_URL and TOGETHER_API_KEY. The script prints one JSON object with the responses
// and errors it got, which sdk_test.go checks.
import Together from "together-ai";

const client = new Together({ maxRetries: 0 });

const first = await client.codeInterpreter.execute({
  code: "x = 20\nprint('hello from python')",
  language: "python",
});
const second = await client.codeInterpreter.execute({
  code: "x * 2 + 2",
  language: "python",
  session_id: first.data.session_id,
});
const upload = await client.codeInterpreter.execute({
  code: "print(open('input.txt').read())",
  language: "python",
  files: [{ name: "input.txt", encoding: "string", content: "uploaded text" }],
});
const sessions = await client.codeInterpreter.sessions.list();

async function errorOf(request) {
  try {
    await request();
    return null;
  } catch (error) {
    return { name: error.constructor.name, status: error.status ?? null, message: error.message };
  }
}

const unknownSession = await errorOf(() =>
  client.codeInterpreter.execute({ code: "1", language: "python", session_id: "ses_unknown" }),
);
const wrongKey = await errorOf(() =>
  new Together({ apiKey: "not-the-token", maxRetries: 0 }).codeInterpreter.sessions.list(),
);

console.log(JSON.stringify({ first, second, upload, sessions, unknownSession, wrongKey }));

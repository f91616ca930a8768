/**
 * Splits a byte stream into lines and parses each non-empty line as JSON — the shape of
 * a `?watch=true` response. A partial last line is held until its newline arrives; a line
 * that is not JSON is an error naming the line.
 *
 * Example:
 * ```ts
 * for await (const ev of ndjson(res.body)) console.log(ev.type, ev.object.metadata.name);
 * ```
 */
export async function* ndjson<T = unknown>(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<T> {
  for await (const line of lines(chunks)) {
    if (line.trim() === '') continue;
    let value: T;
    try {
      value = JSON.parse(line) as T;
    } catch {
      throw new Error(`the server sent a watch line that is not JSON: ${line.slice(0, 200)}`);
    }
    yield value;
  }
}

/** Decodes UTF-8 chunks (characters may straddle chunks) and yields whole lines without their `\n`. */
export async function* lines(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of chunks) {
    buffered += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      yield buffered.slice(0, newline).replace(/\r$/, '');
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
  }
  buffered += decoder.decode();
  if (buffered !== '') yield buffered;
}

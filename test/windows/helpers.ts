/** Fixtures of the Windows launch agents' files and small text helpers for the tests beside. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

export const FIXTURES = path.join(__dirname, "fixtures");

export function fixture(name: string): string {
    return fs.readFileSync(path.join(FIXTURES, name), "utf8");
}

/** `text` with `from` (which must occur exactly once) replaced by `to`. */
export function replaceOnce(text: string, from: string, to: string): string {
    const at = text.indexOf(from);
    assert.ok(
        at >= 0 && text.indexOf(from, at + 1) < 0,
        `expected exactly one ${JSON.stringify(from)}`,
    );
    return text.slice(0, at) + to + text.slice(at + from.length);
}

export function crlf(text: string): string {
    return text.replace(/\n/g, "\r\n");
}

/** Every line break is CRLF (no bare LF, no lone CR). */
export function assertCrlfOnly(text: string): void {
    assert.doesNotMatch(text, /[^\r]\n|^\n/, "a bare LF");
    assert.doesNotMatch(text, /\r(?!\n)/, "a lone CR");
}

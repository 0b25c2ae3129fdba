/**
 * What the Linux and the Windows Command documents share. The script travels gzipped and
 * base64-encoded: as text it would not fit in a document, and base64 has no "{{" for SSM to
 * substitute. gzip's header carries no time here, so the same script gives the same document
 * (no diff on the next `pulumi up`).
 */
import * as zlib from "zlib";

/** SSM's limit on a document's content (MaxDocumentSizeExceeded). */
export const MAX_DOCUMENT_BYTES = 64 * 1024;

/**
 * The names the component's reset documents get (`<name>-reset-document-<random>`, Pulumi's
 * autoname of `${name}-reset-document`), as a glob: the operator policy's ARN pattern, and what
 * an emulator command fault names to stand in for the reset script.
 */
export const RESET_DOCUMENT_NAMES = "*-reset-document-*";

/** The script (text or a zipapp's bytes), gzipped, in base64 lines of 76 characters. */
export function packScript(script: string | Buffer): string[] {
    const bytes = typeof script === "string" ? Buffer.from(script, "utf8") : script;
    return (
        zlib
            .gzipSync(bytes, { level: 9 })
            .toString("base64")
            .match(/.{1,76}/g) ?? []
    );
}

/** A String parameter whose every value must match `pattern` (SSM checks it before running anything). */
export function documentParameter(description: string, pattern: string, defaultValue?: string) {
    return {
        type: "String",
        description,
        allowedPattern: pattern,
        ...(defaultValue === undefined ? {} : { default: defaultValue }),
    };
}

/** The document as JSON, refused here rather than by CreateDocument when it is too large. */
export function documentJson(document: object, what: string): string {
    const content = JSON.stringify(document);
    if (Buffer.byteLength(content) > MAX_DOCUMENT_BYTES) {
        throw new Error(
            `the ${what} document is ${Buffer.byteLength(content)} bytes; SSM accepts at most ${MAX_DOCUMENT_BYTES}`,
        );
    }
    return content;
}

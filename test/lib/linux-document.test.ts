/** The SSM document that carries the reset script: fits SSM's limit, guards every parameter. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as zlib from "node:zlib";
import { MAX_DOCUMENT_BYTES, PARAMETER_PATTERNS, resetDocumentContent, SCRIPT_PATH } from "../../lib/linux-document";

describe("reset document", () => {
    const content = resetDocumentContent();
    const document = JSON.parse(content);
    const runCommand: string[] = document.mainSteps[0].inputs.runCommand;

    it("fits in SSM's 64 KB document limit", () => {
        assert.ok(Buffer.byteLength(content) < MAX_DOCUMENT_BYTES, `${Buffer.byteLength(content)} bytes`);
    });

    it("carries exactly scripts/linux/reset-ssh-key.sh, with nothing SSM would substitute", () => {
        const start = runCommand.findIndex((l) => l.startsWith("base64 -d")) + 1;
        const end = runCommand.indexOf("EC2_RESET_ACCESS_SCRIPT");
        const script = zlib.gunzipSync(Buffer.from(runCommand.slice(start, end).join(""), "base64")).toString("utf8");
        assert.equal(script, fs.readFileSync(SCRIPT_PATH, "utf8"));
        const placeholders = runCommand.join("\n").match(/\{\{[^}]*\}\}/g);
        assert.deepEqual([...new Set(placeholders)].sort(), ["{{ deviceName }}", "{{ publicKey }}", "{{ users }}", "{{ volumeId }}"]);
    });

    it("is the same document for the same script (no spurious diff on the next up)", () => {
        assert.equal(resetDocumentContent(), content);
    });

    it("declares an allowedPattern for every parameter it substitutes", () => {
        for (const [name, pattern] of Object.entries(PARAMETER_PATTERNS)) {
            assert.equal(document.parameters[name].allowedPattern, pattern);
        }
    });

    const hostile = ["x'; reboot; '", 'a" $(reboot) "', "`reboot`", "a\nb", "ec2-user;reboot", "${IFS}"];
    for (const [name, pattern] of Object.entries(PARAMETER_PATTERNS)) {
        it(`refuses shell metacharacters in ${name}`, () => {
            for (const value of hostile) assert.doesNotMatch(value, new RegExp(pattern), `${name} admitted ${JSON.stringify(value)}`);
            assert.doesNotMatch(`ssh-ed25519 AAAA x"; reboot`, new RegExp(pattern));
        });
    }

    it("admits the values a reset passes", () => {
        const admits = (name: keyof typeof PARAMETER_PATTERNS, value: string) =>
            assert.match(value, new RegExp(PARAMETER_PATTERNS[name]), `${name} refused ${value}`);
        admits("volumeId", "vol-0123456789abcdef0");
        admits("deviceName", "/dev/sdf");
        admits("users", "auto");
        admits("users", "ec2-user,deploy.bot,_svc");
        admits("publicKey", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqLQ8lN6pLTn3YjzGhIhGgYkE1bGfO5rWbX3cA1zZxk ec2-reset-access@i-0123456789abcdef0");
        admits("publicKey", "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY=");
    });
});

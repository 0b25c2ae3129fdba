/** The SSM document that carries the reset program: fits SSM's limit, guards every parameter. */
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { resetZipapp, zipappEntries } from "../../lib/python-zipapp";
import {
    EXECUTION_TIMEOUT_SECONDS,
    KILL_GRACE_SECONDS,
    MAX_DOCUMENT_BYTES,
    PARAMETER_PATTERNS,
    PROGRAM_DEADLINE_SECONDS,
    resetDocumentContent,
    TERM_MARGIN_SECONDS,
} from "../../lib/linux-document";

describe("reset document", () => {
    const content = resetDocumentContent();
    const document = JSON.parse(content);
    const runCommand: string[] = document.mainSteps[0].inputs.runCommand;

    it("fits in SSM's 64 KB document limit", () => {
        assert.ok(
            Buffer.byteLength(content) < MAX_DOCUMENT_BYTES,
            `${Buffer.byteLength(content)} bytes`,
        );
    });

    const packed = () => {
        const start = runCommand.findIndex((l) => l.startsWith("base64 -d")) + 1;
        const end = runCommand.indexOf("EC2_RESET_ACCESS_SCRIPT");
        return zlib.gunzipSync(Buffer.from(runCommand.slice(start, end).join(""), "base64"));
    };

    it("carries exactly the zipapp of scripts/linux/reset_ssh_key, with nothing SSM would substitute", () => {
        assert.deepEqual(packed(), resetZipapp());
        assert.ok(zipappEntries().has("reset_ssh_key/main.py"));
        const placeholders = runCommand.join("\n").match(/\{\{[^}]*\}\}/g);
        assert.deepEqual([...new Set(placeholders)].sort(), [
            "{{ deviceName }}",
            "{{ publicKey }}",
            "{{ revokeComment }}",
            "{{ users }}",
            "{{ volumeId }}",
        ]);
    });

    it("the zipapp it carries runs with python3 -E -s (unzip and import work): --help", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zipapp-"));
        try {
            fs.writeFileSync(path.join(dir, "app.pyz"), packed());
            const run = spawnSync("python3", ["-E", "-s", path.join(dir, "app.pyz"), "--help"], {
                encoding: "utf8",
            });
            assert.equal(run.status, 0, run.stderr);
            assert.match(run.stdout, /^usage: reset-ssh-key \(--device DEV \| --root DIR\)/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("runs the program under timeout -s TERM after its own deadline, all within the document's timeout", () => {
        // The program's line, inside the wrapper that prints its verdict first (lib/linux-document.ts verdictFirst).
        const line = runCommand.find((l: string) => l.startsWith("timeout -s TERM"))!;
        const term = PROGRAM_DEADLINE_SECONDS + TERM_MARGIN_SECONDS;
        assert.ok(
            line.startsWith(
                `timeout -s TERM -k ${KILL_GRACE_SECONDS} ${term} python3 -E -s "$workdir/reset-ssh-key.pyz" --deadline ${PROGRAM_DEADLINE_SECONDS} `,
            ),
            line,
        );
        const locateSeconds = 60 * 2; // the device search: 60 tries, 2 s apart
        assert.ok(locateSeconds + term + KILL_GRACE_SECONDS < EXECUTION_TIMEOUT_SECONDS);
        assert.equal(
            document.mainSteps[0].inputs.timeoutSeconds,
            String(EXECUTION_TIMEOUT_SECONDS),
        );
    });

    it("is the same document for the same script (no spurious diff on the next up)", () => {
        assert.equal(resetDocumentContent(), content);
    });

    it("declares an allowedPattern for every parameter it substitutes", () => {
        for (const [name, pattern] of Object.entries(PARAMETER_PATTERNS)) {
            assert.equal(document.parameters[name].allowedPattern, pattern);
        }
    });

    const hostile = [
        "x'; reboot; '",
        'a" $(reboot) "',
        "`reboot`",
        "a\nb",
        "ec2-user;reboot",
        "${IFS}",
    ];
    for (const [name, pattern] of Object.entries(PARAMETER_PATTERNS)) {
        it(`refuses shell metacharacters in ${name}`, () => {
            for (const value of hostile)
                assert.doesNotMatch(
                    value,
                    new RegExp(pattern),
                    `${name} admitted ${JSON.stringify(value)}`,
                );
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
        admits(
            "publicKey",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqLQ8lN6pLTn3YjzGhIhGgYkE1bGfO5rWbX3cA1zZxk ec2-reset-access@i-0123456789abcdef0",
        );
        admits("publicKey", "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY=");
        admits("revokeComment", "");
        admits("revokeComment", "ec2-reset-access@i-0123456789abcdef0");
        assert.doesNotMatch(
            "me@laptop",
            new RegExp(PARAMETER_PATTERNS.revokeComment),
            "only this tool's comment can be revoked",
        );
    });

    it("passes --revoke-comment to the program only with a value (a rotation); a first reset runs it as before", () => {
        const from = runCommand.findIndex((l) => l.startsWith("revoke=()"));
        const call = runCommand.findIndex((l) =>
            l.includes('python3 -E -s "$workdir/reset-ssh-key.pyz"'),
        );
        assert.ok(from >= 0 && call > from, "the revoke array is built before the program runs");
        const argv = (revokeComment: string) => {
            // The program's command line, printed instead of run: what follows the .pyz path.
            // (its output redirect, verdictFirst's, left out: the arguments are printed instead)
            const program = runCommand[call]
                .replace(/^.*python3 -E -s "\$workdir\/reset-ssh-key\.pyz"/, "printf '%s\\n'")
                .replace(/ > "\$out" \|\| code=\$\?$/, "");
            const lines = [runCommand[from], program].map((l) =>
                l
                    .replace(/\{\{ revokeComment \}\}/g, revokeComment)
                    .replace(/\{\{ (\w+) \}\}/g, "$1-value"),
            );
            return execFileSync(
                "bash",
                ["-c", `set -euo pipefail; device=/dev/x\n${lines.join("\n")}`],
                { encoding: "utf8" },
            )
                .trim()
                .split("\n");
        };
        const base = [
            "--deadline",
            String(PROGRAM_DEADLINE_SECONDS),
            "--device",
            "/dev/x",
            "--public-key",
            "publicKey-value",
            "--users",
            "users-value",
        ];
        assert.deepEqual(argv(""), base);
        assert.deepEqual(argv("ec2-reset-access@i-0123456789abcdef0"), [
            ...base,
            "--revoke-comment",
            "ec2-reset-access@i-0123456789abcdef0",
        ]);
    });
});

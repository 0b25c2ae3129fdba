/**
 * Key pairs made with ssh-keygen once per test run: the accepted types, and the ones the script
 * must refuse (short RSA, DSA). Private keys are kept to check they never reach the output.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempDir, run } from "../../../rehearsal/disk/system";

export interface KeyPair {
    publicLine: string;
    privateText: string;
    fingerprint: string;
}

const generated = new Map<string, KeyPair>();
let directory: string | undefined;

/** A fresh key pair of `type` (ssh-keygen -t) and optional `bits`, cached by name. */
export function keyPair(name: string, type: string, bits?: number): KeyPair {
    const cached = generated.get(name);
    if (cached) return cached;
    directory ??= makeTempDir("script-keys");
    const file = path.join(directory, name);
    const args = ["-q", "-t", type, "-N", "", "-C", `${name}@test`, "-f", file];
    if (bits) args.push("-b", String(bits));
    run("ssh-keygen", args);
    const pair = {
        publicLine: fs.readFileSync(`${file}.pub`, "utf8").trim(),
        privateText: fs.readFileSync(file, "utf8"),
        fingerprint: run("ssh-keygen", ["-l", "-E", "sha256", "-f", `${file}.pub`]).split(" ")[1],
    };
    generated.set(name, pair);
    return pair;
}

export const ed25519 = (): KeyPair => keyPair("ed25519", "ed25519");

export function removeGeneratedKeys(): void {
    if (directory) fs.rmSync(directory, { recursive: true, force: true });
    directory = undefined;
    generated.clear();
}

/** Lines of a private key long enough that their presence in output means a leak. */
export function secretLines(pair: KeyPair): string[] {
    return pair.privateText
        .split("\n")
        .filter((line) => line.length > 20 && !line.startsWith("-----"));
}

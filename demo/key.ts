/**
 * The part of the demo after `pulumi up`: fetching the private key as a user would (the AWS CLI
 * when it is installed, else the SDK: both against the emulator), checking it with ssh-keygen,
 * and showing the key where sshd will find it, on the target's root volume.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";

export interface FetchedKey {
    file: string;
    via: "aws CLI" | "AWS SDK";
}

/** The README's command, run for real against the emulator (AWS_ENDPOINT_URL points it there). */
/** The README's retrieval command; --region: the key is in the target's region, not the CLI's default. */
export function getParameterCommand(
    parameterName: string,
    region = process.env.AWS_REGION ?? "us-east-1",
): string[] {
    return [
        "ssm",
        "get-parameter",
        "--region",
        region,
        "--with-decryption",
        "--name",
        parameterName,
        "--query",
        "Parameter.Value",
        "--output",
        "text",
    ];
}

/** Writes the private key to `file` (mode 0600) with the AWS CLI if it works here, else the SDK. */
export async function fetchKey(parameterName: string, file: string): Promise<FetchedKey> {
    const env = { ...process.env, AWS_DEFAULT_REGION: process.env.AWS_REGION };
    const cli = spawnSync("aws", getParameterCommand(parameterName), {
        encoding: "utf8",
        env,
        timeout: 60_000,
    });
    let value: string;
    let via: FetchedKey["via"];
    if (cli.status === 0 && cli.stdout.includes("PRIVATE KEY")) {
        value = cli.stdout;
        via = "aws CLI";
    } else {
        const out = await new SSMClient({}).send(
            new GetParameterCommand({ Name: parameterName, WithDecryption: true }),
        );
        value = `${out.Parameter?.Value ?? ""}\n`;
        via = "AWS SDK";
    }
    fs.writeFileSync(file, value.replace(/\n*$/, "\n"), { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    return { file, via };
}

/** `ssh-keygen -l -f file`: "256 SHA256:… comment (ED25519)". */
export function fingerprintLine(file: string): string {
    return execFileSync("ssh-keygen", ["-l", "-f", file], { encoding: "utf8" }).trim();
}

/** The public key derived from the private one, "type base64". */
export function derivedPublicKey(file: string): string {
    return execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" })
        .trim()
        .split(" ")
        .slice(0, 2)
        .join(" ");
}

/** A long key line shortened for the screen: "ssh-ed25519 AAAAC3Nz…Qx9c comment". */
export function shortKey(line: string): string {
    const [type, blob, ...rest] = line.split(" ");
    const short = blob && blob.length > 24 ? `${blob.slice(0, 12)}…${blob.slice(-8)}` : blob;
    return [type, short, ...rest].filter(Boolean).join(" ");
}

export function mode(file: string): string {
    return (fs.statSync(file).mode & 0o777).toString(8).padStart(4, "0");
}

export function displayPath(file: string): string {
    const relative = path.relative(process.cwd(), file);
    return relative.startsWith("..") ? file : relative || ".";
}

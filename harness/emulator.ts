/**
 * Starts the project's AWS emulator (emulator/, started as `python3 -m emulator`) on a free port and talks to its
 * control API. Used by the mocha root hooks, `npm run demo` and `npm run bench`.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { sleep } from "../lib/sleep";

const PROJECT_ROOT = path.join(__dirname, "..");
const READY = /^ready (http:\/\/\S+)$/m;
const START_DEADLINE_MS = 30_000;

export interface EmulatorOptions {
    /** Profile name under emulator/profiles, or a JSON file. Default: instant. */
    profile?: string;
    /** Overrides the profile's time scale. */
    timeScale?: number;
}

export interface CallRecord {
    service: string;
    operation: string;
    time: number;
    /** The region of the call's SigV4 scope: where it acted. */
    region: string;
    /** The access key id that signed it: whose credentials made it. */
    accessKeyId: string;
    params: Record<string, unknown>;
    status: number;
    error: string | null;
}

export class Emulator {
    private constructor(
        readonly endpoint: string,
        private readonly child: ChildProcess,
        private readonly stderr: () => string,
    ) {}

    static async start(options: EmulatorOptions = {}): Promise<Emulator> {
        const port = await freePort();
        const args = [
            "-m",
            "emulator",
            "--port",
            String(port),
            "--profile",
            options.profile ?? "instant",
        ];
        if (options.timeScale !== undefined) args.push("--time-scale", String(options.timeScale));
        const child = spawn("python3", args, {
            cwd: PROJECT_ROOT,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        child.stderr!.on("data", (chunk) => (stderr = (stderr + chunk).slice(-20_000)));
        const endpoint = await waitForReady(child, () => stderr);
        return new Emulator(endpoint, child, () => stderr);
    }

    /** Points the AWS SDK v3 clients created after this call at the emulator. */
    exportEnvironment(env: NodeJS.ProcessEnv = process.env): void {
        env.AWS_ENDPOINT_URL = this.endpoint;
        env.AWS_REGION = env.AWS_REGION ?? "us-east-1";
        env.AWS_ACCESS_KEY_ID = "testing";
        env.AWS_SECRET_ACCESS_KEY = "testing";
        delete env.AWS_PROFILE;
        delete env.AWS_SESSION_TOKEN;
    }

    async control<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
        const response = await fetch(`${this.endpoint}/_emulator${route}`, {
            method,
            headers: body === undefined ? {} : { "content-type": "application/json" },
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await response.text();
        let payload: T & { error?: string };
        try {
            payload = JSON.parse(text);
        } catch {
            // A 500 HTML page: the emulator's traceback is on its stderr.
            throw new Error(
                `emulator ${method} ${route}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}\n${this.stderr().slice(-4000)}`,
            );
        }
        if (!response.ok)
            throw new Error(`emulator ${method} ${route}: ${payload.error ?? response.status}`);
        return payload;
    }

    reset(): Promise<unknown> {
        return this.control("POST", "/reset");
    }

    async calls(
        filter: { operation?: string; service?: string; since?: number } = {},
    ): Promise<CallRecord[]> {
        const query = new URLSearchParams(
            Object.entries(filter).map(([k, v]) => [k, String(v)] as [string, string]),
        );
        const { calls } = await this.control<{ calls: CallRecord[] }>("GET", `/calls?${query}`);
        return calls;
    }

    /** What the emulator printed on stderr (the Python traceback when a request failed). */
    log(): string {
        return this.stderr();
    }

    async stop(): Promise<void> {
        if (this.child.exitCode !== null) return;
        const exited = new Promise((resolve) => this.child.once("exit", resolve));
        this.child.kill("SIGTERM");
        await Promise.race([exited, sleep(10_000).then(() => this.child.kill("SIGKILL"))]);
    }
}

function waitForReady(child: ChildProcess, stderr: () => string): Promise<string> {
    return new Promise((resolve, reject) => {
        let stdout = "";
        const timer = setTimeout(
            () => fail(`no "ready" line within ${START_DEADLINE_MS} ms`),
            START_DEADLINE_MS,
        );
        const fail = (why: string) => {
            clearTimeout(timer);
            child.kill("SIGKILL");
            reject(new Error(`emulator did not start: ${why}\n${stderr()}`));
        };
        child.stdout!.on("data", (chunk) => {
            stdout += chunk;
            const match = READY.exec(stdout);
            if (match) {
                clearTimeout(timer);
                resolve(match[1]);
            }
        });
        child.once("exit", (code) => fail(`exited with ${code}`));
        child.once("error", (err) => fail(err.message));
    });
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

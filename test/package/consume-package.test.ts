/**
 * The package as another Pulumi project gets it: `npm pack` (which builds it), installed into a
 * fresh copy of examples/consumer outside this repository, type-checked there, and its program
 * deployed and destroyed from there: the program under the harness's mocks with the consumer's
 * own @pulumi/pulumi and ec2-reset-access, every dynamic resource handed to the real
 * dynamic-provider host of the consumer's node_modules running in the consumer's folder, against
 * the emulator with real XFS root volumes.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { isBuiltin } from "node:module";
import * as path from "node:path";
import { EC2Client } from "@aws-sdk/client-ec2";
import * as pulumi from "@pulumi/pulumi";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { deploy, destroy, DeploymentState } from "../../harness/deployment";
import { isDynamicType, PROVIDER_KEY } from "../../harness/pulumi-host";
import { emulator } from "../hooks";
import { contextOf, createTarget, REGION, targetShape, wholeShape } from "../../rehearsal/targets";
import { inventory } from "../../harness/inventory";
import { EC2_USER, TargetVolume } from "../../rehearsal/target-volume";
import { useRealisticEmulation } from "../support/realistic-emulation";
import {
    ConsumerProject,
    makeTempRoot,
    PACKAGE_NAME,
    PackedPackage,
    packThisPackage,
    REPO,
} from "./consumer-project";
import {
    ConsumerProviderHost,
    HostReport,
    routeDynamicProvidersTo,
} from "./consumer-provider-host";

/** What a consumer must share with the package: one copy each, at the consumer's root. */
const PEERS = [
    "@pulumi/pulumi",
    "@pulumi/aws",
    "@pulumi/awsx",
    "@aws-sdk/client-ec2",
    "@aws-sdk/client-ssm",
    "@aws-sdk/client-auto-scaling",
    "@aws-sdk/client-sts",
    "@aws-sdk/client-iam",
    "@aws-sdk/client-kms",
];
const CONSUMER_PROJECT = "reset-access-consumer";
/** Realistic AWS durations at 1/200, as in the end-to-end test (the key scripts run in real time). */
const TIME_SCALE = 0.005;

describe("the package, installed into another Pulumi project", function () {
    this.timeout(600_000);
    let temp: string;
    let packed: PackedPackage;
    let consumer: ConsumerProject;

    before(function () {
        this.timeout(300_000);
        temp = makeTempRoot("reset-access-consumer");
        packed = packThisPackage(temp);
        consumer = ConsumerProject.create(temp, packed.tarball);
    });

    after(() => {
        if (temp) fs.rmSync(temp, { recursive: true, force: true });
    });

    it("ships the compiled component with its declarations, the key script and the IAM policy; no sources, no exports map", () => {
        const manifest = packed.manifest;
        assert.ok(
            packed.files.includes(manifest.main),
            `main ${manifest.main} is not in the package`,
        );
        assert.ok(
            packed.files.includes(manifest.types),
            `types ${manifest.types} is not in the package`,
        );
        // lib/ reads the helper's scripts at program time from `${__dirname}/../scripts`: dist/scripts.
        const scripts = filesUnder(path.join(REPO, "scripts")).map((f) => `dist/scripts/${f}`);
        assert.ok(scripts.includes("dist/scripts/linux/reset_ssh_key/main.py"), scripts.join(", "));
        for (const file of [...scripts, "iam/operator-policy.json", "README.md"])
            assert.ok(packed.files.includes(file), `${file} is not in the package`);
        assert.deepEqual(
            packed.files.filter((f) => /\.ts$/.test(f) && !f.endsWith(".d.ts")),
            [],
            "TypeScript sources in the package",
        );
        assert.deepEqual(
            packed.files.filter(
                (f) =>
                    f.startsWith("test/") ||
                    f.startsWith("examples/") ||
                    f.includes("node_modules/"),
            ),
            [],
        );
        // An exports map makes Pulumi's serializer refuse the subpath requires it writes into
        // each dynamic provider ("package.json export path ... not found").
        assert.equal(manifest.exports, undefined, "package.json must have no exports map");
        // Pulumi runs package.json's main unless Pulumi.yaml names the program: this project's
        // own `pulumi up` must keep running index.ts, not the component's module.
        assert.match(fs.readFileSync(path.join(REPO, "Pulumi.yaml"), "utf8"), /^main: index\.ts$/m);
    });

    it("declares Pulumi and the AWS SDK clients as peers: one copy of each, at the consumer's root, at a version the peer range accepts", () => {
        const manifest = packed.manifest;
        assert.deepEqual(Object.keys(manifest.peerDependencies ?? {}).sort(), [...PEERS].sort());
        for (const peer of PEERS) {
            assert.equal(
                manifest.dependencies?.[peer],
                undefined,
                `${peer} is also a dependency: npm would nest a second copy instead of using the consumer's`,
            );
            assert.deepEqual(
                consumer.copiesOf(peer),
                [path.join(consumer.dir, "node_modules", peer)],
                `${peer}: one copy, at the consumer's root`,
            );
            const version = consumer.rootVersion(peer)!;
            assert.ok(
                caretAccepts(manifest.peerDependencies[peer], version),
                `${peer} ${version} is outside the peer range ${manifest.peerDependencies[peer]}`,
            );
        }
        assert.ok(
            consumer
                .resolve(PACKAGE_NAME)
                .startsWith(
                    path.join(consumer.dir, "node_modules", PACKAGE_NAME, "dist") + path.sep,
                ),
        );
        assert.ok(
            fs.existsSync(consumer.program),
            "tsc compiled the consumer's program against the package's declarations",
        );
    });

    describe("pulumi up and pulumi destroy of examples/consumer, from its own folder", () => {
        const ec2 = new EC2Client({});
        const volumes: TargetVolume[] = [];

        useRealisticEmulation(TIME_SCALE);

        afterEach(() => {
            for (const volume of volumes.splice(0)) volume.cleanup();
        });

        it("resets one instance with a generated key and one with the operator's key; every dynamic provider loads and runs from the consumer's node_modules; destroy leaves the kept backup and the key", async () => {
            const web = await targetWithVolume("web");
            const db = await targetWithVolume("db");
            volumes[0].mountHelperLookalike();
            const operatorKey = sshKeygen(path.join(temp, "operator"));
            const config = {
                [`${CONSUMER_PROJECT}:webInstanceId`]: web.ctx.instanceId,
                [`${CONSUMER_PROJECT}:dbInstanceId`]: db.ctx.instanceId,
                [`${CONSUMER_PROJECT}:operatorPublicKey`]: operatorKey,
            };
            const before = await inventory();

            const host = await ConsumerProviderHost.start(consumer.dir, temp, awsEnvironment(), {
                "aws:region": REGION,
                ...config,
            });
            const inProcess = routeDynamicProvidersTo(host);
            const ownLog = logThroughHarness(consumer);
            let report: HostReport | undefined;
            let state: DeploymentState | undefined;
            try {
                const up = await deploy(() => consumerProgram(consumer.program), {
                    project: CONSUMER_PROJECT,
                    config: { "aws:region": REGION, ...config },
                });
                state = up.state;
                if (up.error)
                    assert.fail(
                        `${up.error.stack}\n--- the provider host's output:\n${(await host.stop()).output}`,
                    );
                const warned = up.diagnostics
                    .filter((d) => d.severity === "warning")
                    .map((d) => d.message);
                for (const { ctx } of [web, db])
                    assert.ok(
                        warned.some((w) => w.startsWith(`${ctx.instanceId}: its public IP`)),
                        `no warning about ${ctx.instanceId}'s public IP in ${warned}`,
                    );

                // The generated key: only Parameter Store holds the private half.
                assert.equal(
                    up.outputs.webKeyParameter,
                    `/ec2rl/openssh/${web.ctx.instanceId}/key`,
                );
                assert.deepEqual(up.outputs.webUsers, [EC2_USER.name, "deploy"]);
                const stored = await new SSMClient({}).send(
                    new GetParameterCommand({
                        Name: String(up.outputs.webKeyParameter),
                        WithDecryption: true,
                    }),
                );
                const webKey = publicKeyOf(stored.Parameter!.Value!, temp);
                assert.ok(
                    authorizedKeys(web.volume).some((line) => line.startsWith(webKey)),
                    "web: the generated key is in ec2-user's authorized_keys",
                );
                // The operator's key: installed for the one user named, nothing stored.
                assert.deepEqual(up.outputs.dbUsers, [EC2_USER.name]);
                assert.equal(up.outputs.dbState, "running");
                assert.ok(
                    authorizedKeys(db.volume).includes(operatorKey),
                    "db: the operator's key is in ec2-user's authorized_keys",
                );
                await assert.rejects(
                    new SSMClient({}).send(
                        new GetParameterCommand({
                            Name: `/ec2rl/openssh/${db.ctx.instanceId}/key`,
                        }),
                    ),
                    /ParameterNotFound/,
                    "no key stored for the operator's own key",
                );
                assert.deepEqual(await targetShape(ec2, web.ctx), wholeShape(web.ctx));
                assert.deepEqual(await targetShape(ec2, db.ctx), wholeShape(db.ctx));

                const dynamic = up.state.resources.filter((r) => isDynamicType(r.type));
                assert.equal(dynamic.length, 15, dynamic.map((r) => r.name).join(", ")); // 8 for web (with its key), 7 for db: preflight, helper-ready, the five steps
                assertRequiresResolveFromConsumer(
                    dynamic.map((r) => String(r.inputs[PROVIDER_KEY])),
                    packed,
                );
                assert.equal(
                    host.calls.create,
                    dynamic.length,
                    "every dynamic resource was created by the consumer's provider host",
                );

                const left = await destroy(up.state);
                state = left;
                assert.deepEqual(left.resources, []);
                assert.equal(
                    host.calls.delete,
                    dynamic.length,
                    "every dynamic resource was deleted by the consumer's provider host",
                );
            } finally {
                // After a failure, what the run left is removed by the same host before it stops.
                if (state?.resources.length) await destroy(state).catch(() => undefined);
                ownLog();
                inProcess();
                report = await host.stop();
            }

            const after = await inventory();
            assert.deepEqual(
                { ...after, images: [] },
                { ...before, images: [] },
                "no temporary resource left",
            );
            assert.deepEqual(
                after.images,
                [`AWSSupport-EC2Rescue_${web.ctx.instanceId}`],
                "web's backup is kept (the default), db's removed (retainBackup: false)",
            );
            assert.deepEqual(await targetShape(ec2, web.ctx), wholeShape(web.ctx));
            assert.deepEqual(await targetShape(ec2, db.ctx), wholeShape(db.ctx));
            assertLoadedOnlyFromConsumer(report, consumer);
        });

        async function targetWithVolume(name: string) {
            const volume = new TargetVolume();
            volumes.push(volume);
            const target = await createTarget(ec2, { tags: { Name: name } });
            const ctx = contextOf(target);
            await emulator().control("POST", "/disks", {
                volumeId: ctx.rootVolumeId,
                path: volume.imagePath,
            });
            return { ctx, volume };
        }
    });
});

/** The consumer's compiled program, run afresh; its exports are the stack outputs. */
function consumerProgram(program: string): Record<string, unknown> {
    delete require.cache[program];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { ...require(program) };
}

/**
 * The consumer's program logs (the component's warnings) through the consumer's own
 * @pulumi/pulumi; the harness captures this process's. Forwards one to the other; returns the
 * function that undoes it.
 */
function logThroughHarness(consumer: ConsumerProject): () => void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const theirs = require(consumer.resolve("@pulumi/pulumi")).log as Record<string, unknown>;
    const ours = pulumi.log as unknown as Record<string, (...args: unknown[]) => unknown>;
    const levels = ["debug", "info", "warn", "error"];
    const saved = Object.fromEntries(levels.map((level) => [level, theirs[level]]));
    for (const level of levels) theirs[level] = (...args: unknown[]) => ours[level](...args);
    return () => Object.assign(theirs, saved);
}

/** What the provider host needs to reach the emulator and scale its waits. */
function awsEnvironment(): NodeJS.ProcessEnv {
    return Object.fromEntries(
        Object.entries(process.env).filter(
            ([key]) => key.startsWith("AWS_") || key.startsWith("EC2_RESET_ACCESS_"),
        ),
    );
}

/**
 * Each serialized provider names, by `require`, only Node's built-ins, this package (its
 * modules are required by path inside it, not copied) and the package's peers: everything it
 * needs is at the consumer's root, where the host resolves from.
 */
function assertRequiresResolveFromConsumer(texts: string[], packed: PackedPackage): void {
    const peers = Object.keys(packed.manifest.peerDependencies ?? {});
    const required = new Set<string>();
    for (const text of texts)
        for (const [, name] of text.matchAll(/require\("([^"]+)"\)/g)) required.add(name);
    const packageOf = (name: string) =>
        name
            .split("/")
            .slice(0, name.startsWith("@") ? 2 : 1)
            .join("/");
    const unexpected = [...required].filter(
        (name) =>
            !isBuiltin(name) &&
            packageOf(name) !== PACKAGE_NAME &&
            !peers.includes(packageOf(name)),
    );
    assert.deepEqual(
        unexpected,
        [],
        "a serialized provider requires a package that is neither this one nor a peer",
    );
    assert.ok(
        [...required].some((name) => name.startsWith(`${PACKAGE_NAME}/dist/`)),
        `no provider requires ${PACKAGE_NAME}'s modules: ${[...required].join(", ")}`,
    );
}

/** The host loaded its own code and the providers' modules from the consumer's node_modules only. */
function assertLoadedOnlyFromConsumer(
    report: HostReport | undefined,
    consumer: ConsumerProject,
): void {
    assert.ok(report, "the provider host did not report");
    const nodeModules = path.join(fs.realpathSync(consumer.dir), "node_modules") + path.sep;
    const files = report.loadedModules.filter((f) => !f.endsWith(`${path.sep}module-probe.js`));
    assert.deepEqual(
        files.filter((f) => !f.startsWith(nodeModules)),
        [],
        "modules loaded from outside the consumer's node_modules",
    );
    for (const expected of [
        `${PACKAGE_NAME}/dist/lib/aws-clients.js`,
        "@aws-sdk/client-ec2/",
        "@aws-sdk/client-ssm/",
        "@pulumi/pulumi/cmd/dynamic-provider/",
    ]) {
        assert.ok(
            files.some((f) => f.startsWith(nodeModules + expected)),
            `the host did not load ${expected} from the consumer`,
        );
    }
}

/** Paths of the files under `dir`, relative to it, with `/`. */
function filesUnder(dir: string): string[] {
    return fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) =>
            path
                .relative(dir, path.join(e.parentPath ?? e.path, e.name))
                .split(path.sep)
                .join("/"),
        )
        .filter((file) => !file.includes("__pycache__/")); // Python's caches: never shipped (npm run build skips them)
}

/** `^x.y.z` accepts `version` (the only range form the package declares). */
function caretAccepts(range: string, version: string): boolean {
    const wanted = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
    assert.ok(wanted, `peer range ${range}: declare peers as ^x.y.z, the versions tested`);
    const [major, minor, patch] = wanted.slice(1).map(Number);
    const [a, b, c] = version.split(/[.-]/).map(Number);
    return a === major && (b > minor || (b === minor && c >= patch));
}

function authorizedKeys(volume: TargetVolume): string[] {
    return volume.readFile(`home/${EC2_USER.name}/.ssh/authorized_keys`)?.content.split("\n") ?? [];
}

function sshKeygen(file: string): string {
    execFileSync("ssh-keygen", [
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        "operator@example.com",
        "-f",
        file,
    ]);
    return fs.readFileSync(`${file}.pub`, "utf8").trim();
}

/** `ssh-keygen -y` on the private key: "type base64". */
function publicKeyOf(privateKey: string, dir: string): string {
    const file = path.join(dir, "generated-key");
    fs.writeFileSync(file, privateKey, { mode: 0o600 });
    return execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" })
        .trim()
        .split(" ")
        .slice(0, 2)
        .join(" ");
}

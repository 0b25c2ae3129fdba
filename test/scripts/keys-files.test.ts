/**
 * The reset program on a real ext4 filesystem (--root): which users, which keys file (sshd's
 * AuthorizedKeysFile with %h, %u, %%, Include and Match User), created with the volume's ids,
 * appended keeping every line in order, replaced atomically with owner, mode and SELinux label,
 * and idempotent: a second run changes nothing.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    assertExit,
    assertKeysFile,
    assertNoTempFiles,
    assertOwnership,
    requireImageTools,
    transcript,
} from "./helpers/checks";
import {
    DEPLOY,
    DEPLOY_EXISTING_KEYS,
    EC2_USER,
    PASSWD,
    rootTree,
    SVC,
} from "../../rehearsal/disk/root-tree";
import { ed25519, removeGeneratedKeys } from "./helpers/keys";
import { RootDirs } from "./helpers/root-dirs";
import { runScript } from "./helpers/sandbox";
import { labelOf, ownershipOf } from "../../rehearsal/disk/tree";

const HOME_LABEL = "unconfined_u:object_r:user_home_dir_t:s0";
const ADMIN_HOME_LABEL = "system_u:object_r:admin_home_t:s0";

describe("reset program: keys files, users and idempotence", function () {
    let roots: RootDirs;
    const key = () => ed25519();
    const run = (root: string, ...extra: string[]) =>
        runScript(["--root", root, "--public-key", key().publicLine, ...extra]);
    const file = (root: string, relative: string) => path.join(root, relative);

    before(function () {
        requireImageTools(this);
        roots = new RootDirs("script-keys-files");
    });
    after(() => {
        roots?.cleanup();
        removeGeneratedKeys();
    });

    it("a second run finds the key present and changes nothing", async () => {
        const root = roots.create(rootTree());
        const first = await run(root);
        assertExit(first, 0, "ok");
        const keysFiles = [
            "home/ec2-user/.ssh/authorized_keys",
            "home/deploy/.ssh/authorized_keys",
        ].map((f) => file(root, f));
        const before = keysFiles.map((f) => ({
            content: fs.readFileSync(f, "utf8"),
            ...ownershipOf(f),
            mtime: fs.statSync(f).mtimeMs,
        }));

        const second = await run(root);

        assertExit(second, 0, "ok");
        assert.deepEqual(
            second.json.users.map((user) => [user.name, user.action]),
            [
                ["ec2-user", "present"],
                ["deploy", "present"],
            ],
        );
        const after = keysFiles.map((f) => ({
            content: fs.readFileSync(f, "utf8"),
            ...ownershipOf(f),
            mtime: fs.statSync(f).mtimeMs,
        }));
        assert.deepEqual(after, before);
    });

    it("appending keeps every line in order, ends the last line, keeps owner, mode and label, replaces atomically", async () => {
        const label = "unconfined_u:object_r:ssh_home_t:s0:c0.c1023";
        const existing = "\n# comment kept\r\n" + DEPLOY_EXISTING_KEYS;
        const root = roots.create(
            rootTree({
                selinux: "enforcing",
                extra: [
                    {
                        path: "home/deploy/.ssh/authorized_keys",
                        file: existing,
                        mode: 0o640,
                        uid: DEPLOY.uid,
                        gid: 0,
                        label,
                    },
                ],
            }),
        );
        const keys = file(root, "home/deploy/.ssh/authorized_keys");
        const inodeBefore = ownershipOf(keys).ino;

        const result = await run(root, "--users", "deploy");

        assertExit(result, 0, "ok");
        assert.equal(result.user("deploy").action, "appended");
        assert.equal(fs.readFileSync(keys, "utf8"), `${existing}\n${key().publicLine}\n`);
        assertOwnership(keys, { uid: DEPLOY.uid, gid: 0, mode: 0o640 });
        assert.equal(labelOf(keys), label);
        assert.notEqual(
            ownershipOf(keys).ino,
            inodeBefore,
            "the file was rewritten in place, not replaced",
        );
        assertNoTempFiles(path.dirname(keys));
    });

    it("a commented-out copy of the key does not count; a copy with options does, with a warning", async () => {
        const commented = `# ${key().publicLine}\n`;
        const withOptions = `no-port-forwarding ${key().publicLine}\n`;
        const owned = { uid: DEPLOY.uid, gid: DEPLOY.gid, mode: 0o600 };
        const root = roots.create(
            rootTree({
                extra: [
                    { path: "home/deploy/.ssh/authorized_keys", file: commented, ...owned },
                    { path: "home/svc/.ssh", dir: true, mode: 0o700, uid: SVC.uid, gid: SVC.gid },
                    {
                        path: "home/svc/.ssh/authorized_keys",
                        file: withOptions,
                        mode: 0o600,
                        uid: SVC.uid,
                        gid: SVC.gid,
                    },
                ],
            }),
        );

        const result = await run(root, "--users", "deploy,svc");

        assertExit(result, 0, "ok");
        assert.equal(result.user("deploy").action, "appended");
        assert.equal(
            fs.readFileSync(file(root, "home/deploy/.ssh/authorized_keys"), "utf8"),
            `${commented}${key().publicLine}\n`,
        );
        assert.equal(result.user("svc").action, "present");
        assert.equal(
            fs.readFileSync(file(root, "home/svc/.ssh/authorized_keys"), "utf8"),
            withOptions,
        );
        assert.ok(
            result.json.warnings.some((w) =>
                /svc: the key is already in .* with options \(no-port-forwarding\)/.test(w),
            ),
            transcript(result),
        );
    });

    it("SELinux enforcing: new ~/.ssh and keys files get ssh_home_t with the home's SELinux user", async () => {
        const root = roots.create(
            rootTree({
                selinux: "enforcing",
                extra: [
                    {
                        path: "home/ec2-user",
                        dir: true,
                        mode: 0o700,
                        uid: EC2_USER.uid,
                        gid: EC2_USER.gid,
                        label: HOME_LABEL,
                    },
                    { path: "root", dir: true, mode: 0o550, label: ADMIN_HOME_LABEL },
                ],
            }),
        );

        const result = await run(root, "--users", "ec2-user,root");

        assertExit(result, 0, "ok");
        for (const created of ["home/ec2-user/.ssh", "home/ec2-user/.ssh/authorized_keys"]) {
            assert.equal(
                labelOf(file(root, created)),
                "unconfined_u:object_r:ssh_home_t:s0",
                created,
            );
        }
        for (const created of ["root/.ssh", "root/.ssh/authorized_keys"]) {
            assert.equal(labelOf(file(root, created)), "system_u:object_r:ssh_home_t:s0", created);
        }
        assertKeysFile(file(root, "root/.ssh/authorized_keys"), `${key().publicLine}\n`, {
            uid: 0,
            gid: 0,
            mode: 0o600,
        });
        assert.equal(fs.existsSync(file(root, ".autorelabel")), false);
    });

    it("SELinux disabled: new files get no label", async () => {
        const root = roots.create(rootTree({ selinux: "disabled" }));

        const result = await run(root, "--users", "ec2-user");

        assertExit(result, 0, "ok");
        assert.equal(labelOf(file(root, "home/ec2-user/.ssh/authorized_keys")), null);
        assert.equal(labelOf(file(root, "home/ec2-user/.ssh")), null);
    });

    it("a keys file outside the home (AuthorizedKeysFile /etc/ssh/keys/%u) on SELinux: created, relabel scheduled", async () => {
        const root = roots.create(
            rootTree({
                selinux: "enforcing",
                sshdDropIns: { "40-keys.conf": "AuthorizedKeysFile /etc/ssh/keys/%u" },
            }),
        );

        const result = await run(root, "--users", "ec2-user");

        assertExit(result, 0, "ok");
        assert.equal(result.user("ec2-user").file, "/etc/ssh/keys/ec2-user");
        assertOwnership(file(root, "etc/ssh/keys"), { uid: 0, gid: 0, mode: 0o755 });
        assertOwnership(file(root, "etc/ssh/keys/ec2-user"), {
            uid: EC2_USER.uid,
            gid: EC2_USER.gid,
            mode: 0o600,
        });
        assert.equal(
            fs.readFileSync(file(root, "etc/ssh/keys/ec2-user"), "utf8"),
            `${key().publicLine}\n`,
        );
        assertOwnership(file(root, ".autorelabel"), { uid: 0, gid: 0, mode: 0o644 });
        assert.ok(
            result.json.warnings.some((w) => /SELinux relabel scheduled for the next boot/.test(w)),
            transcript(result),
        );
    });

    it("AuthorizedKeysFile from an Include'd file, with %h, %u and %%", async () => {
        const root = roots.create(
            rootTree({
                sshdDropIns: {
                    "10-first.conf":
                        "AuthorizedKeysFile %h/.ssh/keys_%u_100%% .ssh/authorized_keys",
                    "20-later.conf": "AuthorizedKeysFile .ssh/ignored",
                },
            }),
        );

        const result = await run(root, "--users", "ec2-user");

        assertExit(result, 0, "ok");
        assert.equal(result.user("ec2-user").file, "/home/ec2-user/.ssh/keys_ec2-user_100%");
        assertKeysFile(
            file(root, "home/ec2-user/.ssh/keys_ec2-user_100%"),
            `${key().publicLine}\n`,
            { ...EC2_USER, mode: 0o600 },
        );
    });

    it("a Match User block gives one user another keys file; a key found in the second listed file is present", async () => {
        const root = roots.create(
            rootTree({
                sshdConfig: [
                    "UsePAM yes",
                    "AuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys2",
                    "Match User svc",
                    "  AuthorizedKeysFile .ssh/svc_keys",
                ].join("\n"),
                extra: [
                    {
                        path: "home/deploy/.ssh/authorized_keys2",
                        file: `${key().publicLine}\n`,
                        mode: 0o600,
                        uid: DEPLOY.uid,
                        gid: DEPLOY.gid,
                    },
                ],
            }),
        );

        const result = await run(root, "--users", "svc,deploy,ec2-user");

        assertExit(result, 0, "ok");
        assert.deepEqual(
            result.json.users.map((u) => [u.name, u.action, u.file]),
            [
                ["svc", "created", "/home/svc/.ssh/svc_keys"],
                ["deploy", "present", "/home/deploy/.ssh/authorized_keys2"],
                ["ec2-user", "created", "/home/ec2-user/.ssh/authorized_keys"],
            ],
        );
        assert.equal(
            fs.readFileSync(file(root, "home/deploy/.ssh/authorized_keys"), "utf8"),
            DEPLOY_EXISTING_KEYS,
        );
    });

    it("--users auto: cloud login users and users with a keys file, never root unless named", async () => {
        const root = roots.create(
            rootTree({
                passwd: `${PASSWD}\nubuntu:x:1000:1000::/home/ubuntu:/bin/bash\nadmin:x:1001:1001::/home/admin:/bin/bash`,
                extra: [
                    { path: "home/ubuntu", dir: true, mode: 0o750, uid: 1000, gid: 1000 },
                    { path: "root/.ssh", dir: true, mode: 0o700 },
                    {
                        path: "root/.ssh/authorized_keys",
                        file: "ssh-ed25519 AAAAroot old\n",
                        mode: 0o600,
                    },
                ],
            }),
        );

        const result = await run(root);

        assertExit(result, 0, "ok");
        assert.deepEqual(
            result.json.users.map((u) => [u.name, u.action]),
            [
                ["ec2-user", "created"],
                ["deploy", "appended"],
                ["ubuntu", "created"],
                ["admin", "refused"],
            ],
        );
        assert.match(
            result.user("admin").reason ?? "",
            /home directory \/home\/admin does not exist on the volume/,
        );
        assert.equal(
            fs.readFileSync(file(root, "root/.ssh/authorized_keys"), "utf8"),
            "ssh-ed25519 AAAAroot old\n",
        );
        assertKeysFile(file(root, "home/ubuntu/.ssh/authorized_keys"), `${key().publicLine}\n`, {
            uid: 1000,
            gid: 1000,
            mode: 0o600,
        });
    });

    it("--users with names: root when named; unknown and invalid names refused with the reason", async () => {
        const root = roots.create(rootTree());

        const result = await run(root, "--users", "root,svc,nosuch,../../etc");

        assertExit(result, 0, "ok");
        assert.deepEqual(
            result.json.users.map((u) => [u.name, u.action, u.reason]),
            [
                ["nosuch", "refused", "no such user in the volume's /etc/passwd"],
                ["../../etc", "refused", "invalid user name"],
                ["root", "created", null],
                ["svc", "created", null],
            ],
        );
        assertKeysFile(file(root, "root/.ssh/authorized_keys"), `${key().publicLine}\n`, {
            uid: 0,
            gid: 0,
            mode: 0o600,
        });
        assertKeysFile(file(root, "home/svc/.ssh/authorized_keys"), `${key().publicLine}\n`, {
            ...SVC,
            mode: 0o600,
        });
    });

    it("--users naming only unknown users: error", async () => {
        const root = roots.create(rootTree());

        const result = await run(root, "--users", "nosuch");

        assertExit(result, 1, "error");
        assert.match(result.json.error ?? "", /no user can log in with the key/);
    });

    it("--root / on a live instance: its own passwd and /home", async () => {
        const user = { name: "rsktuser", uid: 4321, gid: 4322 };
        const passwd = `${fs.readFileSync("/etc/passwd", "utf8").trimEnd()}\n${user.name}:x:${user.uid}:${user.gid}::/home/${user.name}:/bin/bash\n`;
        let content = "";
        let owner = { uid: -1, gid: -1, mode: 0 };

        const result = await runScript(
            ["--root", "/", "--public-key", key().publicLine, "--users", user.name],
            {
                decoyFiles: { "/etc/passwd": passwd },
                decoyHomes: [user],
                inspectDecoys: (decoys) => {
                    const keys = path.join(decoys, "home", user.name, ".ssh/authorized_keys");
                    content = fs.readFileSync(keys, "utf8");
                    owner = ownershipOf(keys);
                },
            },
        );

        assertExit(result, 0, "ok");
        assert.equal(result.user(user.name).action, "created");
        assert.equal(content, `${key().publicLine}\n`);
        assert.deepEqual([owner.uid, owner.gid, owner.mode], [user.uid, user.gid, 0o600]);
        assert.deepEqual(result.guardedChanges, [
            `decoy:home/${user.name}/.ssh`,
            `decoy:home/${user.name}/.ssh/authorized_keys`,
        ]);
    });
});

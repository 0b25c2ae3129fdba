/**
 * The volume contents the tests start from: a small cloud image root whose accounts differ from
 * the helper's (ec2-user is uid 1234, gid 2345 here; the sandbox's decoy passwd says 4242), so a
 * script that asked the helper for ids would be caught.
 */
import { Entry } from "./tree";

export const EC2_USER = { name: "ec2-user", uid: 1234, gid: 2345, home: "/home/ec2-user" };
export const DEPLOY = { name: "deploy", uid: 1300, gid: 1301, home: "/home/deploy" };
export const SVC = { name: "svc", uid: 1400, gid: 1400, home: "/home/svc" };

/** The key deploy already has: the script must keep it, in place. */
export const DEPLOY_EXISTING_KEYS =
    "# managed by hand\n" +
    'from="10.0.0.0/8" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOeYVcWh1GvJr5FWoJ2IIrcQH1V7ExampleKeyOnly deploy@ci\n' +
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBLkmJ2o0Lq5Y8b6SLZr2RzDExampleKeyOnlyB ops@laptop";

export const PASSWD = [
    "root:x:0:0:root:/root:/bin/bash",
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
    "ec2-user:x:1234:2345:EC2 Default User:/home/ec2-user:/bin/bash",
    "deploy:x:1300:1301::/home/deploy:/bin/bash",
    "svc:x:1400:1400::/home/svc:/bin/bash",
].join("\n");

export const GROUP = [
    "root:x:0:",
    "wheel:x:10:ec2-user",
    "ec2-user:x:2345:",
    "deploy:x:1301:",
    "svc:x:1400:",
].join("\n");

export const SHADOW = [
    "root:*:19000:0:99999:7:::",
    "daemon:*:19000:0:99999:7:::",
    "ec2-user:!!:19000:0:99999:7:::",
    "deploy:!!:19000:0:99999:7:::",
    "svc:!!:19000:0:99999:7:::",
].join("\n");

export const SSHD_CONFIG = [
    "# as shipped by the distribution",
    "Include /etc/ssh/sshd_config.d/*.conf",
    "PasswordAuthentication no",
    "UsePAM yes",
    "Subsystem sftp /usr/libexec/openssh/sftp-server",
].join("\n");

export interface RootOptions {
    passwd?: string | null;
    group?: string;
    shadow?: string;
    sshdConfig?: string | null;
    /** Files in /etc/ssh/sshd_config.d, by name. */
    sshdDropIns?: Record<string, string>;
    selinux?: "enforcing" | "permissive" | "disabled";
    /** Entries written after the standard ones (they may replace them). */
    extra?: Entry[];
}

/** The standard root tree, adjusted by `options`. */
export function rootTree(options: RootOptions = {}): Entry[] {
    const entries: Entry[] = [
        { path: "etc", dir: true },
        { path: "usr/lib/os-release", file: 'NAME="Test Linux"\nID=testlinux\nVERSION_ID=1\n' },
        { path: "etc/os-release", symlink: "../usr/lib/os-release" },
        { path: "etc/group", file: `${options.group ?? GROUP}\n` },
        { path: "etc/shadow", file: `${options.shadow ?? SHADOW}\n`, mode: 0o000 },
        { path: "root", dir: true, mode: 0o550 },
        { path: "home", dir: true },
        { path: "home/ec2-user", dir: true, mode: 0o700, uid: EC2_USER.uid, gid: EC2_USER.gid },
        { path: "home/deploy", dir: true, mode: 0o750, uid: DEPLOY.uid, gid: DEPLOY.gid },
        { path: "home/deploy/.ssh", dir: true, mode: 0o700, uid: DEPLOY.uid, gid: DEPLOY.gid },
        {
            path: "home/deploy/.ssh/authorized_keys",
            file: DEPLOY_EXISTING_KEYS,
            mode: 0o600,
            uid: DEPLOY.uid,
            gid: DEPLOY.gid,
        },
        { path: "home/svc", dir: true, mode: 0o700, uid: SVC.uid, gid: SVC.gid },
    ];
    if (options.passwd !== null)
        entries.push({ path: "etc/passwd", file: `${options.passwd ?? PASSWD}\n` });
    if (options.sshdConfig !== null) {
        entries.push({
            path: "etc/ssh/sshd_config",
            file: `${options.sshdConfig ?? SSHD_CONFIG}\n`,
            mode: 0o600,
        });
    }
    for (const [name, content] of Object.entries(options.sshdDropIns ?? {})) {
        entries.push({ path: `etc/ssh/sshd_config.d/${name}`, file: `${content}\n`, mode: 0o600 });
    }
    if (options.selinux) {
        entries.push({
            path: "etc/selinux/config",
            file: `SELINUX=${options.selinux}\nSELINUXTYPE=targeted\n`,
        });
    }
    return [...entries, ...(options.extra ?? [])];
}

/**
 * The Linux reset program (scripts/linux/reset_ssh_key/, Python) as one zipapp: a zip whose
 * top-level __main__.py starts the package, run with `python3 app.pyz`. Entries are stored (the
 * document gzips the whole) with a fixed date, in name order, so the same sources give the same
 * bytes and the same document (no diff on the next `pulumi up`).
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";

export const PACKAGE_DIR = path.join(__dirname, "..", "scripts", "linux", "reset_ssh_key");
const PACKAGE_NAME = "reset_ssh_key";
const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;

/** The package's modules, by their name in the archive. */
export function zipappEntries(dir: string = PACKAGE_DIR): Map<string, Buffer> {
    const entries = new Map<string, Buffer>();
    entries.set("__main__.py", fs.readFileSync(path.join(dir, "__main__.py")));
    for (const name of fs
        .readdirSync(dir)
        .filter((file) => file.endsWith(".py"))
        .sort()) {
        entries.set(`${PACKAGE_NAME}/${name}`, fs.readFileSync(path.join(dir, name)));
    }
    return entries;
}

function localHeader(name: Buffer, data: Buffer, crc: number): Buffer {
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4); // version needed
    header.writeUInt16LE(0, 6); // flags
    header.writeUInt16LE(0, 8); // stored
    header.writeUInt16LE(0, 10); // time
    header.writeUInt16LE(DOS_DATE_1980_01_01, 12);
    header.writeUInt32LE(crc, 14);
    header.writeUInt32LE(data.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(name.length, 26);
    header.writeUInt16LE(0, 28);
    return Buffer.concat([header, name]);
}

function centralHeader(name: Buffer, data: Buffer, crc: number, offset: number): Buffer {
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0, 8);
    header.writeUInt16LE(0, 10);
    header.writeUInt16LE(0, 12);
    header.writeUInt16LE(DOS_DATE_1980_01_01, 14);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(data.length, 20);
    header.writeUInt32LE(data.length, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: a regular file, 0644
    header.writeUInt32LE(offset, 42);
    return Buffer.concat([header, name]);
}

/** The zip archive of `entries` (stored, deterministic). */
export function zipArchive(entries: Map<string, Buffer>): Buffer {
    const locals: Buffer[] = [];
    const centrals: Buffer[] = [];
    let offset = 0;
    for (const [entryName, data] of entries) {
        const name = Buffer.from(entryName, "utf8");
        const crc = zlib.crc32(data);
        const local = Buffer.concat([localHeader(name, data, crc), data]);
        centrals.push(centralHeader(name, data, crc, offset));
        locals.push(local);
        offset += local.length;
    }
    const central = Buffer.concat(centrals);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.size, 8);
    end.writeUInt16LE(entries.size, 10);
    end.writeUInt32LE(central.length, 12);
    end.writeUInt32LE(offset, 16);
    return Buffer.concat([...locals, central, end]);
}

/** The reset program as a zipapp, ready for `python3 app.pyz`. */
export function resetZipapp(dir: string = PACKAGE_DIR): Buffer {
    return zipArchive(zipappEntries(dir));
}

/** The benchmark's arithmetic and table: medians, the modeled AWS time, pairing, formatting. */
import * as assert from "node:assert/strict";
import {
    formatDuration,
    formatSpread,
    median,
    modeledSeconds,
    modeledSpread,
    spread,
} from "../../rehearsal/stats";
import { Measurement, pairs, summarize, summaryTable, TABLE_HEADER } from "../../bench/report";
import { formatTable } from "../../bench/table";
import { parseOptions } from "../../bench/bench";

describe("bench: statistics", () => {
    it("takes the median of odd and even counts, without reordering the caller's array", () => {
        const values = [5, 1, 3];
        assert.equal(median(values), 3);
        assert.deepEqual(values, [5, 1, 3]);
        assert.equal(median([4, 1, 3, 2]), 2.5);
        assert.equal(median([7]), 7);
        assert.throws(() => median([]), /median of no values/);
    });

    it("gives the spread as median, min and max", () => {
        assert.deepEqual(spread([3, 9, 1]), { median: 3, min: 1, max: 9 });
    });

    it("models AWS seconds as (realistic − instant) / scale, plus the fixed sleeps that cancel", () => {
        // 40 AWS s of waiting at 0.05 is 2 s here; 3 s of this machine's work is in both runs.
        assert.equal(modeledSeconds({ realisticMs: 5000, instantMs: 3000 }, 0.05), 40);
        assert.equal(modeledSeconds({ realisticMs: 5000, instantMs: 3000 }, 0.05, 10), 50);
        assert.ok(
            Math.abs(modeledSeconds({ realisticMs: 3010, instantMs: 3000 }, 0.01) - 1) < 1e-9,
        );
        assert.throws(
            () => modeledSeconds({ realisticMs: 1, instantMs: 0 }, 0),
            /time scale must be positive, got 0/,
        );
    });

    it("spreads the modeled seconds over the repetitions", () => {
        const runs = [
            { realisticMs: 6000, instantMs: 1000 },
            { realisticMs: 7000, instantMs: 1000 },
            { realisticMs: 5500, instantMs: 1500 },
        ];
        assert.deepEqual(modeledSpread(runs, 0.1), { median: 50, min: 40, max: 60 });
    });

    it("formats a spread, and a spread without width as one number", () => {
        assert.equal(formatSpread({ median: 128.4, min: 120.2, max: 139.6 }), "128 (120–140)");
        assert.equal(formatSpread({ median: 5, min: 5, max: 5 }), "5");
        assert.equal(formatSpread({ median: 1.25, min: 1, max: 1.5 }, 1), "1.3 (1.0–1.5)");
    });

    it("formats AWS seconds as a person reads them", () => {
        assert.equal(formatDuration(47.4), "47 s");
        assert.equal(formatDuration(59.6), "1 min 0 s");
        assert.equal(formatDuration(212), "3 min 32 s");
        assert.equal(formatDuration(-75), "-1 min 15 s");
    });
});

describe("bench: report", () => {
    const m = (
        profile: "realistic" | "instant",
        repetition: number,
        accessMs: number,
        totalMs: number,
        calls: number,
        scriptMs = 0,
    ): Measurement => ({
        variant: "v",
        profile,
        repetition,
        accessMs,
        totalMs,
        scriptMs,
        callsToAccess: calls,
        callsTotal: calls + 10,
        writesTotal: 4,
    });

    it("pairs the realistic and instant runs of each repetition, in repetition order", () => {
        const runs = [
            m("realistic", 2, 9000, 0, 0),
            m("instant", 1, 1000, 0, 0),
            m("realistic", 1, 8000, 0, 0),
            m("instant", 2, 2000, 0, 0),
        ];
        assert.deepEqual(
            pairs(runs, (x) => x.accessMs),
            [
                { realisticMs: 8000, instantMs: 1000 },
                { realisticMs: 9000, instantMs: 2000 },
            ],
        );
        assert.throws(
            () => pairs([m("realistic", 3, 1, 1, 1)], (x) => x.accessMs),
            /repetition 3 lacks its instant run/,
        );
    });

    it("summarizes a variant: modeled seconds from the pairs, calls from the realistic runs only", () => {
        const runs = [
            m("instant", 1, 1000, 1500, 50),
            m("realistic", 1, 7000, 9500, 120),
            m("instant", 2, 1200, 1600, 60),
            m("realistic", 2, 7400, 9800, 124),
        ];
        const s = summarize("ResetAccess", runs, 0.05, 0);
        const rounded = (x: { median: number; min: number; max: number }) => ({
            median: Math.round(x.median),
            min: Math.round(x.min),
            max: Math.round(x.max),
        });
        assert.deepEqual(rounded(s.access), { median: 122, min: 120, max: 124 });
        assert.deepEqual(rounded(s.total), { median: 162, min: 160, max: 164 });
        assert.deepEqual(s.callsToAccess, { median: 122, min: 120, max: 124 });
        assert.deepEqual(s.callsTotal, { median: 132, min: 130, max: 134 });
        assert.deepEqual(s.wallRealistic, { median: 7.2, min: 7, max: 7.4 });
    });

    it("takes each run's script time out before the difference: a slow script is not AWS time", () => {
        // The same 6 s of waiting at 0.05 (120 AWS s); the realistic run's script took 3 s longer.
        const runs = [
            m("instant", 1, 2000, 2000, 50, 1000),
            m("realistic", 1, 11000, 11000, 120, 4000),
        ];
        assert.deepEqual(summarize("v", runs, 0.05, 0).access, { median: 120, min: 120, max: 120 });
    });

    it("prints one row per variant under the header, figures right-aligned", () => {
        const runs = [m("instant", 1, 1000, 1500, 50), m("realistic", 1, 7000, 9500, 120)];
        const lines = summaryTable([
            summarize("ResetAccess", runs, 0.05, 0),
            summarize("runbook", runs, 0.05, 10),
        ]).split("\n");
        assert.equal(lines.length, 4);
        assert.match(lines[0], /^ +\(a\) AWS s to access {2}AWS s in all/);
        assert.match(lines[2], /^ResetAccess +120 +160 +120 +130 +4 +7\.0 \/ 1\.0$/);
        assert.match(lines[3], /^runbook +130 +170 /);
        assert.equal(TABLE_HEADER.length, 7);
    });
});

describe("bench: table and options", () => {
    it("aligns columns by code points, the first to the left, the others to the right", () => {
        assert.equal(
            formatTable(
                ["", "n"],
                [
                    ["a", "1–2"],
                    ["bbb", "10"],
                ],
            ),
            ["       n", "---  ---", "a    1–2", "bbb   10"].join("\n"),
        );
        assert.throws(() => formatTable(["a", "b"], [["x"]]), /a row has 1 cells, the header 2/);
    });

    it("reads --runs, --time-scale and --canned, and refuses anything else", () => {
        assert.deepEqual(parseOptions([]), { runs: 3, timeScale: 0.05, canned: false });
        assert.deepEqual(parseOptions(["--runs", "5", "--time-scale", "0.02", "--canned"]), {
            runs: 5,
            timeScale: 0.02,
            canned: true,
        });
        assert.throws(() => parseOptions(["--runs", "0"]), /--runs needs a positive number, got 0/);
        assert.throws(() => parseOptions(["--fast"]), /unknown argument --fast/);
    });
});

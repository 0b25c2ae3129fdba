/** The critical-path floors: the profile's durations summed along each variant's path, with the formula. */
import * as assert from "node:assert/strict";
import { floorOf, profileDurations, RESET_ACCESS_PATHS, RUNBOOK_PATHS } from "../../bench/floor";
import { floorTable, VariantSummary } from "../../bench/report";

describe("critical-path floors", () => {
    const realistic = profileDurations("realistic");

    it("sums the realistic durations along ResetAccess's paths: the helper ready first, then the target's downtime", () => {
        assert.deepEqual(floorOf(RESET_ACCESS_PATHS.downtime, realistic), {
            seconds: 89,
            formula:
                "instance.stop 40 + image.snapshotIds 2 + volume.detach 10 + volume.attach 5 + command.delivery 2 + volume.detach 10 + volume.attach 5 + instance.start 15 = 89 AWS s",
        });
        assert.equal(floorOf(RESET_ACCESS_PATHS.access, realistic).seconds, 15 + 45 + 2 + 89);
    });

    it("counts the runbook's awaited AMI, its sleep and its helper stop", () => {
        assert.equal(floorOf(RUNBOOK_PATHS.downtime, realistic).seconds, 317);
        assert.equal(floorOf(RUNBOOK_PATHS.access, realistic).seconds, 377);
        assert.match(
            floorOf(RUNBOOK_PATHS.downtime, realistic).formula,
            /image\.create 180 \+ .* sleep 10 \+/,
        );
    });

    it("prints each figure beside its floor with the ratio of the median", () => {
        const s = { median: 100, min: 95, max: 110 };
        const summary = {
            label: "v",
            access: { median: 165, min: 160, max: 170 },
            downtime: s,
        } as unknown as VariantSummary;
        const lines = floorTable([{ summary, accessFloor: 151, downtimeFloor: 89 }]).split("\n");
        assert.equal(
            lines[2].replace(/\s+/g, " "),
            "v 100 (95–110) 89 1.12 165 (160–170) 151 1.09",
        );
    });
});

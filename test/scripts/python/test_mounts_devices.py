"""mounts.py and devices.py: mount options, fstab sources, LVM extent maps (lvm stood in for)."""
import os
import tempfile
import unittest

from reset_ssh_key import devices
from reset_ssh_key.devices import Candidate, lvm_extent_map
from reset_ssh_key.mounts import find_candidate, mapper_name, mount_options


class MountOptionsTest(unittest.TestCase):
    def test_ext_gets_errors_remount_ro_and_every_mount_nosuid_nodev_noexec(self) -> None:
        self.assertEqual(mount_options("ext4", False), ["nosuid", "nodev", "noexec", "errors=remount-ro"])
        self.assertEqual(mount_options("ext3", True), ["nosuid", "nodev", "noexec", "errors=remount-ro", "ro", "noload"])
        self.assertEqual(mount_options("xfs", True), ["nosuid", "nodev", "noexec", "ro", "norecovery"])
        self.assertEqual(mount_options("btrfs", False, "@home"), ["nosuid", "nodev", "noexec", "subvol=@home"])


class FstabSourceTest(unittest.TestCase):
    def test_sources_name_candidates(self) -> None:
        home = Candidate("/dev/loop1", "xfs", "lv", uuid="ABC", label="home", lv="vg-a/home-lv")
        part = Candidate("/dev/loop2", "ext4", "p2", partuuid="1234-02")
        both = [home, part]
        self.assertIs(find_candidate("UUID=abc", both), home)
        self.assertIs(find_candidate('LABEL="home"', both), home)
        self.assertIs(find_candidate("/dev/disk/by-partuuid/1234-02", both), part)
        self.assertIs(find_candidate("/dev/mapper/vg--a-home--lv", both), home)
        self.assertIs(find_candidate("/dev/vg-a/home-lv", both), home)
        self.assertIsNone(find_candidate("server:/export", both))
        self.assertEqual(mapper_name("vg-a/home-lv"), "vg--a-home--lv")


class LvmTest(unittest.TestCase):
    def test_extent_map_from_lvm_output(self) -> None:
        with tempfile.TemporaryDirectory() as bin_dir:
            with open(f"{bin_dir}/lvm", "w") as handle:
                handle.write("#!/bin/sh\nif [ \"$1\" = pvs ]; then echo '  1048576'; exit 0; fi\n"
                             "echo '  vg|root|linear|/dev/loop9:0-9|4194304'\n"
                             "echo '  vg|home|linear|/dev/loop9:10-11|4194304'\n"
                             "echo '  vg|home|linear|/dev/loop9:20-20|4194304'\n"
                             "echo '  vg|thin|thin-pool||4194304'\n")
            os.chmod(f"{bin_dir}/lvm", 0o755)
            path = os.environ["PATH"]
            os.environ["PATH"] = f"{bin_dir}:{path}"
            try:
                volumes = lvm_extent_map("/dev/loop9")
            finally:
                os.environ["PATH"] = path
        mib4 = 4194304
        self.assertEqual(volumes, [
            ("vg/root", [(1048576, 10 * mib4)], ""),
            ("vg/home", [(1048576 + 10 * mib4, 2 * mib4), (1048576 + 20 * mib4, mib4)], ""),
            ("vg/thin", [], "thin-pool"),
        ])
        self.assertTrue(callable(devices.partition_node))


if __name__ == "__main__":
    unittest.main()

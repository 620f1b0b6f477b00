#!/usr/bin/env python3
"""bench/slow_seconds.py on samples files written here: which seconds' p99 passes the
bound, how they are shown, and the bad inputs."""
import unittest

from script_test import ScriptTest


class SlowSecondsTest(ScriptTest):
    SCRIPT = "slow_seconds.py"
    SUFFIX = ".csv"

    @staticmethod
    def samples(per_second):
        """A samples file: 100 samples a second, the last `slow` of them at `ms`."""
        rows = ["seconds,latency_ms"]
        for second, (slow, ms) in enumerate(per_second):
            rows += [f"{second + i / 100:.2f},10.0" for i in range(100 - slow)]
            rows += [f"{second + 0.99:.2f},{ms}" for _ in range(slow)]
        return "\n".join(rows) + "\n"

    def test_seconds_whose_p99_passes_the_bound_as_ranges(self):
        # 2 slow samples in 100 put p99 on the slow value; 1 in 100 does not.
        text = self.samples([(0, 0), (2, 150), (5, 400), (2, 101), (1, 900), (0, 0), (3, 120)])
        out = self.run_script(text)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, "1-3, 6 (4 of the 7 seconds with samples)\n")
        out = self.run_script(text, "300")
        self.assertEqual(out.stdout, "2 (1 of the 7 seconds with samples)\n")

    def test_a_phase_without_slow_seconds(self):
        out = self.run_script(self.samples([(0, 0), (1, 5000)]))
        self.assertEqual(out.stdout, "none (0 of the 2 seconds with samples)\n")

    def test_no_samples(self):
        out = self.run_script("seconds,latency_ms\n")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, "no samples\n")

    def test_bad_inputs_are_refused(self):
        out = self.run_script("when,how\n1,2\n")
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("not a samples file", out.stderr)
        out = self.run_script(self.samples([(0, 0)]), "fast")
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("bad bound 'fast'", out.stderr)


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/env python3
"""bench/cleaner_runs.py against a broker log written here: which cleaner runs fall into
which latency phase, how they are shown, and a bad phase argument."""
import datetime
import unittest

from script_test import ScriptTest

START = 1_800_000_000.0  # the phase's start, seconds since the epoch


def stamp(offset_s):
    """The broker's log4j timestamp (local time) of START + offset_s."""
    t = datetime.datetime.fromtimestamp(START + offset_s)
    return t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"


def begin(offset_s, log):
    return (f"[{stamp(offset_s)}] INFO Cleaner 0: Beginning cleaning of log {log} "
            "(org.apache.kafka.storage.internals.log.Cleaner)\n")


class CleanerRunsTest(ScriptTest):
    SCRIPT = "cleaner_runs.py"
    SUFFIX = ".log"

    def run_log(self, lines, *phases):
        return self.run_script("".join(lines), *phases)

    def test_counts_the_runs_that_start_inside_each_phase(self):
        lines = [
            begin(-1.0, "run.engaged-changelog-0"),  # before the phase
            f"[{stamp(0.5)}] INFO Cleaner 0: Building offset map for run.engaged-changelog-1... "
            "(org.apache.kafka.storage.internals.log.Cleaner)\n",
            begin(1.25, "run.engaged-changelog-1"),
            f"[{stamp(2.0)}] INFO [kafka-log-cleaner-thread-0]: \n",
            "\tLog cleaner thread 0 cleaned log run.engaged-changelog-1 (dirty section = [0, 9])\n",
            begin(3.5, "run.engaged-changelog-4"),
            begin(4.0, "__consumer_offsets-2"),
            begin(10.0, "run.engaged-changelog-5"),  # the phase has ended
        ]
        out = self.run_log(lines, f"engaged:{int(START * 1000)}:10",
                              f"later:{int((START + 20) * 1000)}:5")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.splitlines(), [
            "- engaged: 3 runs, at 1.2-4.0 s of 10 s "
            "(__consumer_offsets: 1 partition, run.engaged-changelog: 2 partitions)",
            "- later: none in 5 s",
        ])

    def test_a_log_without_cleaner_runs(self):
        out = self.run_log(["[x] WARN something else\n"], f"a:{int(START * 1000)}:35")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, "- a: none in 35 s\n")

    def test_a_bad_phase_is_refused(self):
        out = self.run_log([], "engaged:soon:10")
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("bad phase 'engaged:soon:10'", out.stderr)

    def test_no_phase_prints_the_usage(self):
        out = self.run_log([])
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("LABEL:START_MS:SECONDS", out.stderr)


if __name__ == "__main__":
    unittest.main()

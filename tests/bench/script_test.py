"""What the tests of bench/'s Python scripts share: a script of bench/ run on a file
written by the test."""
import os
import subprocess
import sys
import tempfile
import unittest

BENCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench")


class ScriptTest(unittest.TestCase):
    """Subclasses set SCRIPT (a file name in bench/) and SUFFIX (the input file's)."""
    SCRIPT = ""
    SUFFIX = ""

    def run_script(self, text, *args):
        """Runs the script on a file holding `text`, then `args`; the CompletedProcess."""
        with tempfile.NamedTemporaryFile("w", suffix=self.SUFFIX, delete=False) as f:
            f.write(text)
        self.addCleanup(os.unlink, f.name)
        return subprocess.run([sys.executable, os.path.join(BENCH, self.SCRIPT), f.name, *args],
                              capture_output=True, text=True, check=False)

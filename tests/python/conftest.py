import os
import sys

# The test functions import by module name, as a function's folder is on the path when it runs.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "functions"))

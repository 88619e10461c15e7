"""nbgrader's configuration for the GIL Lab course.

nbgrader finds this file when run from inside grader/, or anywhere with
JUPYTER_CONFIG_PATH=<repository>/grader (``gillab lab`` sets that, so the Formgrader sees the course).
Every path is taken from this file's own location, so the repository can live anywhere.
"""

from pathlib import Path

from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    IncludeHeaderFooter,
    InstantiateTests,
    LockCells,
    SaveCells,
)

from gillab.grading.clear_evidence import ClearEvidence

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

root = Path(__file__).resolve().parent.parent
grader = root / "grader"

c.CourseDirectory.course_id = "gillab"
c.CourseDirectory.root = str(root)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "grader/submitted"
c.CourseDirectory.autograded_directory = "grader/autograded"
c.CourseDirectory.feedback_directory = "grader/feedback"
c.CourseDirectory.db_url = f"sqlite:///{grader / 'gradebook.db'}"

# a student who deletes a test cell is still graded on it
c.OverwriteCells.add_missing_cells = True
# nbgrader's own per-cell timeout (it overrides ExecutePreprocessor's)
c.Execute.timeout = 60
# after joblib ran in a kernel, a graceful shutdown waits about 5 s per notebook for nothing
c.Execute.shutdown_kernel = "immediate"

# the witness's expectations (hidden tests' parameters included) stay out of the student version:
# nbgrader's own steps in nbgrader's own order, ClearEvidence added once the hidden tests are gone
c.GenerateAssignment.preprocessors = [
    IncludeHeaderFooter, InstantiateTests, LockCells, ClearSolutions, ClearOutput, CheckCellMetadata,
    ComputeChecksums, SaveCells, ClearHiddenTests, ClearMarkScheme, ClearEvidence, ComputeChecksums,
    CheckCellMetadata,
]

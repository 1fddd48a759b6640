"""What a derivative costs: the work one pass of f does (``work``) and the model that turns
work into seconds per pass of each mode (``model``). The transforms ask it how many rows a
backward sweep carries; ``dualad.auto`` uses it to choose between the modes."""
from .model import DEFAULT_CHUNK, FORWARD, REVERSE, CostModel, sweep_rows
from .work import Work, tape_memory, tape_work

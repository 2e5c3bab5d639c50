"""The Jinja2 environment, with the domain's Japanese labels as filters."""

from pathlib import Path

from fastapi.templating import Jinja2Templates

from matcher import vocabulary
from matcher.vocabulary import LABELS

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["label"] = lambda value, enum: vocabulary.label(value, getattr(vocabulary, enum))
templates.env.globals.update(
    LABELS={enum.__name__: labels for enum, labels in LABELS.items()},
    STAGES=vocabulary.STAGES,
    CONTACT_LEVELS=vocabulary.CONTACT_LEVELS,
    PHYSICAL_LOADS=vocabulary.PHYSICAL_LOADS,
)

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime


class KeyMapping(Base):
    """A translation between key kinds read from a runtime itself, e.g. llama.cpp's converter saying that
    HF architecture ``DeepseekV3ForCausalLM`` becomes GGUF architecture ``deepseek2``.

    Kept per source (the runtime it was read from) and replaced as a whole when that runtime is rescanned,
    so the mapping always matches the source's newest scanned head (``commit``).
    """

    __tablename__ = "key_mappings"
    __table_args__ = (UniqueConstraint("source", "from_kind", "from_key", "to_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    from_kind: Mapped[str] = mapped_column(String(32))
    from_key: Mapped[str] = mapped_column(String(300))
    to_kind: Mapped[str] = mapped_column(String(32))
    to_key: Mapped[str] = mapped_column(String(300))
    commit: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

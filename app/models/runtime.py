from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base


class Vendor(Base):
    """A hardware vendor view (NVIDIA, AMD, Huawei Ascend, Intel, Apple, local/CPU)."""

    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))


class HardwareSku(Base):
    """A hardware SKU (H200, MI300X, 910B3 …) some sources verify support for."""

    __tablename__ = "hardware_skus"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64), unique=True)


class Runtime(Base):
    """A catalog runtime as stored: the rules live in the catalog (app/sources/runtimes), this row anchors events."""

    __tablename__ = "runtimes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    repo_url: Mapped[str] = mapped_column(String(500))
    default_branch: Mapped[str] = mapped_column(String(100))
    vendor_links: Mapped[list[RuntimeVendor]] = relationship(
        back_populates="runtime", cascade="all, delete-orphan", lazy="selectin"
    )


class RuntimeVendor(Base):
    """Which vendor views a runtime counts for (docs/concepts.md, "Rows of the gap table")."""

    __tablename__ = "runtime_vendors"
    __table_args__ = (UniqueConstraint("runtime_id", "vendor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    runtime_id: Mapped[int] = mapped_column(ForeignKey("runtimes.id", ondelete="CASCADE"))
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"))
    runtime: Mapped[Runtime] = relationship(back_populates="vendor_links")
    vendor: Mapped[Vendor] = relationship(lazy="joined")

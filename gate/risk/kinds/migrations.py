"""Database migrations by path and by content, for the common frameworks. PURE.

Paths: Django (`migrations/NNNN_*.py`), Alembic (`alembic/versions/`, `migrations/versions/`), Rails
(`db/migrate/`, `db/schema.rb`, `db/structure.sql`), Prisma (`prisma/migrations/`, `*.prisma`),
Flyway (`V1__*.sql`, `R__*.sql` anywhere, `db/migration/`), Liquibase changelogs (XML, YAML, JSON,
SQL), golang-migrate (`*.up.sql`/`*.down.sql`), goose, xormigrate/gormigrate, Atlas (`atlas.sum`,
`atlas.hcl`), Knex, Sequelize, TypeORM, EF Core (`Migrations/2024…_Name.cs`, the model snapshot),
Laravel (`database/migrations/`), Ecto, Doctrine, Diesel, sqitch, and `schema.sql`/`structure.sql`.
A framework's own folder (`db/migrate/`, `prisma/migrations/`, `database/migrations/`) is weaker
evidence than a file's own name, and any folder named `migrations`, `migration` (singular, as
golang-migrate, TypeORM and xormigrate use it) or `migrate` weaker still: a Markdown file in one is
documentation.

Content: a framework's migration base class or API in the lines shown (`migrations.Migration`,
`ActiveRecord::Migration`, `op.add_column`, `MigrationInterface`, `migrationBuilder`,
`Schema::create`, `-- +goose Up`, `databaseChangeLog`, …), and SQL DDL (`ALTER TABLE`, `DROP TABLE`
and its kin, `CREATE [UNIQUE] INDEX`, `CREATE TABLE`, `RENAME COLUMN`, `ADD COLUMN`, `TRUNCATE`) in
the lines a change adds or removes in any file (in a `.sql` file, in any line shown).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gate.models import FileKind
from gate.risk.kinds.facts import Content, PathFacts, Signal, Strength

__all__ = ["CONTENT_RULES", "DDL", "DML", "PATH_RULES", "writes_data"]

K = FileKind.MIGRATION
_FOLDERS = frozenset({"migrations", "migration", "migrate", "db_migrations", "evolutions", "changesets"})
_DJANGO = re.compile(r"\d{4}_\w+\.py")
_TIMESTAMPED = re.compile(r"\d{8,14}[_-][\w.-]+\.(?:js|ts|mjs|cjs|go|sql|exs|php|cs|rb|py)")
_FLYWAY_PREFIX = re.compile(r"[vu]\d[\w.]*|r")
_FLYWAY_EXTS = (".sql", ".java", ".kt", ".scala", ".groovy", ".py", ".sh")
_RAILS = re.compile(r"\d{8,14}_\w+\.rb")
_EF = re.compile(r"\d{14}_\w+(?:\.designer)?\.cs")
_DOCTRINE = re.compile(r"version\d{8,14}\.php")
_CHANGELOG_EXTS = (".xml", ".yaml", ".yml", ".json", ".sql")
_CHANGELOG_FOLDERS = frozenset({"db", "database", "changelog", "changelogs", "liquibase", "resources"})
_NAMES = {
    "schema.prisma": "Prisma schema",
    "migration_lock.toml": "Prisma migration lock",
    "schema.sql": "SQL schema",
    "structure.sql": "SQL schema (Rails structure.sql)",
    "atlas.sum": "Atlas migration checksum",
    "atlas.hcl": "Atlas project",
    "alembic.ini": "Alembic configuration",
    "flyway.conf": "Flyway configuration",
    "flyway.toml": "Flyway configuration",
    "liquibase.properties": "Liquibase configuration",
    "sqitch.plan": "sqitch plan",
    "knexfile.js": "Knex configuration",
    "knexfile.ts": "Knex configuration",
    ".sequelizerc": "Sequelize configuration",
}


def _name(kind_rule: str) -> Signal:
    return Signal(K, Strength.NAME, kind_rule)


def _layout(kind_rule: str) -> Signal:
    return Signal(K, Strength.LAYOUT, kind_rule)


def _known_name(f: PathFacts) -> Signal | None:
    label = _NAMES.get(f.lname)
    if label is None and f.ends(".prisma"):
        label = "Prisma schema"
    return _name(f"{label} ({f.name})") if label else None


def _rails(f: PathFacts) -> Signal | None:
    multi_db = f.ldirs[-2:-1] == ("db",) and f.ldirs[-1].endswith("_migrate")  # db/animals_migrate/
    if f.under("db", "migrate") or multi_db:
        named = _RAILS.fullmatch(f.lname) is not None  # 20240312101500_add_status.rb
        return (_name if named else _layout)("Rails migration (db/migrate/)")
    if f.ldirs[-1:] == ("db",) and (f.lname == "schema.rb" or f.ends("_schema.rb", "_structure.sql")):
        return _name(f"Rails schema (db/{f.name})")
    return None


def _django_alembic(f: PathFacts) -> Signal | None:
    if f.ldirs[-1:] == ("migrations",) and _DJANGO.fullmatch(f.lname):
        return _name("Django migration (migrations/NNNN_*.py)")
    if f.ldirs[-1:] == ("versions",) and f.ends(".py") and f.in_folder(frozenset({"alembic", "migrations"})):
        return _name("Alembic revision (versions/*.py)")
    return None


def _prisma(f: PathFacts) -> Signal | None:
    return _layout("Prisma migration (prisma/migrations/)") if f.under("prisma", "migrations") else None


def _flyway(f: PathFacts) -> Signal | None:
    prefix, sep, _ = f.lname.partition("__")  # a version uses single underscores: V1_2__name.sql
    if sep and f.ends(*_FLYWAY_EXTS) and _FLYWAY_PREFIX.fullmatch(prefix):
        return _name("Flyway migration (V<version>__*.sql, R__*.sql)")
    if f.under("db", "migration"):
        return _layout("Flyway migration (db/migration/)")
    return None


def _liquibase(f: PathFacts) -> Signal | None:
    if f.lname.startswith("db.changelog"):
        return _name("Liquibase changelog (db.changelog*)")
    if f.in_folder(frozenset({"liquibase"})) or f.under("db", "changelog") or f.under("db", "changelogs"):
        return _layout("Liquibase changelog (db/changelog/)")
    if "changelog" in f.lname and f.ends(*_CHANGELOG_EXTS) and f.in_folder(_CHANGELOG_FOLDERS):
        return _name("Liquibase changelog")
    return None


def _up_down(f: PathFacts) -> Signal | None:
    if f.ends(".up.sql", ".down.sql"):
        return _name("golang-migrate migration (*.up.sql / *.down.sql)")
    if f.lname in ("up.sql", "down.sql") and f.in_folder(_FOLDERS):
        return _name("Diesel migration (migrations/*/up.sql)")
    return None


def _framework_layouts(f: PathFacts) -> Signal | None:
    if f.under("database", "migrations"):
        return _layout("Laravel migration (database/migrations/)")
    if f.under("priv", "repo", "migrations"):
        return _layout("Ecto migration (priv/repo/migrations/)")
    if not f.ldirs or f.ldirs[-1] not in _FOLDERS:
        return None
    if _EF.fullmatch(f.lname) or f.ends("modelsnapshot.cs"):
        return _name("EF Core migration (Migrations/*.cs)")
    if _DOCTRINE.fullmatch(f.lname):
        return _name("Doctrine migration (migrations/Version*.php)")
    if _TIMESTAMPED.fullmatch(f.lname):
        return _name("timestamped migration (goose, Knex, Sequelize, TypeORM, …)")
    return None


def _folder(f: PathFacts) -> Signal | None:
    index = f.folder_index(_FOLDERS)
    if index < 0:
        return None
    return Signal(K, Strength.FOLDER, f"in a migrations folder ({f.dirs[index]}/)")


PATH_RULES: tuple[Callable[[PathFacts], Signal | None], ...] = (
    _known_name,
    _rails,
    _django_alembic,
    _prisma,
    _flyway,
    _liquibase,
    _up_down,
    _framework_layouts,
    _folder,
)

DDL = re.compile(
    r"\b(?:ALTER[ \t]+(?:TABLE|COLUMN)|DROP[ \t]+(?:TABLE|INDEX|COLUMN|CONSTRAINT|SCHEMA|DATABASE|VIEW|"
    r"MATERIALIZED[ \t]+VIEW|TYPE|SEQUENCE|TRIGGER|FUNCTION|EXTENSION)|CREATE[ \t]+(?:UNIQUE[ \t]+)?INDEX|"
    r"CREATE[ \t]+TABLE|RENAME[ \t]+COLUMN|ADD[ \t]+COLUMN|TRUNCATE[ \t]+TABLE)\b",
    re.IGNORECASE,
)
# (what it is, a literal that must be in the lines shown): linear substring tests.
_FRAMEWORK_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Django migration", ("migrations.Migration",)),
    ("Alembic revision", ("from alembic import op", "op.add_column(", "op.create_table(", "op.drop_column(")),
    ("Rails migration", ("ActiveRecord::Migration", "ActiveRecord::Schema")),
    ("Knex migration", ("knex.schema.",)),
    ("Sequelize migration", ("queryInterface.",)),
    ("TypeORM migration", ("MigrationInterface", "queryRunner.query(")),
    ("EF Core migration", ("migrationBuilder.",)),
    ("Laravel migration", ("Schema::create(", "Schema::table(", "Schema::drop")),
    ("goose migration", ("+goose Up", "+goose Down", "goose.AddMigration")),
    ("xormigrate/gormigrate migration", ("xormigrate.", "gormigrate.")),
    ("Liquibase changelog", ("databaseChangeLog", "<changeSet", "liquibase formatted sql", "--changeset ")),
    ("Ecto migration", ("Ecto.Migration",)),
    ("Doctrine migration", ("AbstractMigration",)),
    ("dbmate migration", ("-- migrate:up", "-- migrate:down")),
)


def _framework_content(f: PathFacts, c: Content) -> Signal | None:
    text = c.shown_text
    for label, markers in _FRAMEWORK_MARKERS:
        for marker in markers:
            if marker in text:
                return Signal(K, Strength.CONTENT, f"content: {label} (`{marker.strip()}`)")
    return None


_DDL_WORDS = ("table", "index", "column", "constraint", "schema", "database", "view", "type", "sequence",
               "trigger", "function", "extension")  # fmt: skip


def _ddl(f: PathFacts, c: Content) -> Signal | None:
    sql = f.ends(".sql")
    lower = c.shown_lower if sql else c.changed_lower
    if not any(word in lower for word in _DDL_WORDS):  # every DDL statement names one of these
        return None
    found = DDL.search(c.shown_text if sql else c.changed_text)
    if found is None:
        return None
    keyword = " ".join(found.group(0).upper().split())
    return Signal(K, Strength.CONTENT, f"content: SQL DDL (`{keyword}`)")


CONTENT_RULES: tuple[Callable[[PathFacts, Content], Signal | None], ...] = (_framework_content, _ddl)

DML = re.compile(
    r"\b(?:UPDATE[ \t]+[\w.\"`]+[ \t]+SET|DELETE[ \t]+FROM|INSERT[ \t]+INTO|MERGE[ \t]+INTO)\b", re.IGNORECASE
)


def writes_data(c: Content) -> bool:
    """The changed lines hold SQL that writes data (a backfill, a cleanup): not DDL, still not trivial."""
    lower = c.changed_lower
    if not ("update" in lower or "delete" in lower or "insert" in lower or "merge" in lower):
        return False
    return DML.search(c.changed_text) is not None

"""The labelled corpus: synthetic changes laid out as each framework lays them out.

Each `Case` holds a diff, the kind a reviewer would give each changed file, and the floor a reviewer
would give the change (what the tier "only low-risk changes" must let through or stop). A case
whose `miss` is set is one the rules knowingly get wrong: `got` pins what they say instead, so
the metrics count it and an improvement shows up as a failing test to update.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gate.models import FileKind, RiskLevel
from gate.policy import RiskRule
from tests.riskcorpus.builders import deleted, edit, many, new, renamed

LOW, MEDIUM, HIGH = RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH
MIG, INF, CI, CTR = FileKind.MIGRATION, FileKind.INFRA, FileKind.CI, FileKind.CONTAINER
SEC, DOC, TST = FileKind.SENSITIVE, FileKind.DOCS, FileKind.TESTS
CODE, CFG, DEP = FileKind.CODE, FileKind.CONFIG, FileKind.DEPENDENCIES


@dataclass(frozen=True)
class Case:
    name: str
    diff: str
    kinds: dict[str, FileKind]
    floor: RiskLevel
    group: str  # the ecosystem or convention the case stands for
    rules: tuple[RiskRule, ...] = ()
    trap: bool = False
    miss: str | None = None
    got: tuple[RiskLevel, dict[str, FileKind]] | None = None
    policy_files: tuple[str, ...] = field(default=())
    markers: tuple[str, ...] = ()  # marker files the repository holds (what a git checkout would list)


def case(name: str, group: str, floor: RiskLevel, *files: tuple[str, str, FileKind], **kw: object) -> Case:
    """A case from (path, diff piece, expected kind) triples."""
    return Case(
        name=name,
        diff="".join(piece for _, piece, _ in files),
        kinds={path: kind for path, _, kind in files},
        floor=floor,
        group=group,
        **kw,  # type: ignore[arg-type]
    )


def f(path: str, piece: str, kind: FileKind) -> tuple[str, str, FileKind]:
    return path, piece, kind


# ---- migrations ----------------------------------------------------------------------------------

DJANGO = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("orders", "0006_order_notes")]

    operations = [
        migrations.AddField(
            model_name="order",
            name="status",
            field=models.CharField(default="new", max_length=20),
        ),
    ]
"""

MIGRATIONS = (
    case(
        "a Django migration adds a field",
        "Django",
        HIGH,
        f(
            "orders/migrations/0007_order_status.py",
            new("orders/migrations/0007_order_status.py", DJANGO),
            MIG,
        ),
    ),
    case(
        "a Django app named docs holds a migration (docs/ that holds a migration)",
        "Django",
        HIGH,
        f("docs/migrations/0003_page_slug.py", new("docs/migrations/0003_page_slug.py", DJANGO), MIG),
        trap=True,
    ),
    case(
        "an Alembic revision adds a column",
        "Alembic",
        HIGH,
        f(
            "alembic/versions/4b2c1d9e_add_order_status.py",
            new(
                "alembic/versions/4b2c1d9e_add_order_status.py",
                """
                from alembic import op
                import sqlalchemy as sa

                revision = "4b2c1d9e"
                down_revision = "1a0f3c2b"


                def upgrade():
                    op.add_column("orders", sa.Column("status", sa.String(20)))


                def downgrade():
                    op.drop_column("orders", "status")
                """,
            ),
            MIG,
        ),
    ),
    case(
        "a Flask-Migrate revision under migrations/versions",
        "Alembic",
        HIGH,
        f(
            "migrations/versions/9f1e2d3c_index_orders.py",
            new(
                "migrations/versions/9f1e2d3c_index_orders.py",
                """
                from alembic import op

                revision = "9f1e2d3c"


                def upgrade():
                    op.create_index("ix_orders_created", "orders", ["created_at"])
                """,
            ),
            MIG,
        ),
    ),
    case(
        "a Rails migration adds a column",
        "Rails",
        HIGH,
        f(
            "db/migrate/20240312101500_add_status_to_orders.rb",
            new(
                "db/migrate/20240312101500_add_status_to_orders.rb",
                """
                class AddStatusToOrders < ActiveRecord::Migration[7.1]
                  def change
                    add_column :orders, :status, :string, default: "new", null: false
                  end
                end
                """,
            ),
            MIG,
        ),
    ),
    case(
        "Rails db/schema.rb gains a column",
        "Rails",
        HIGH,
        f(
            "db/schema.rb",
            edit(
                "db/schema.rb",
                """
                |   create_table "orders", force: :cascade do |t|
                |     t.bigint "customer_id", null: false
                +     t.string "status", default: "new", null: false
                |     t.datetime "created_at", null: false
                """,
            ),
            MIG,
        ),
    ),
    case(
        "Rails db/structure.sql changes a column default",
        "Rails",
        HIGH,
        f(
            "db/structure.sql",
            edit(
                "db/structure.sql",
                """
                |     customer_id bigint NOT NULL,
                -     status character varying DEFAULT 'new'::character varying,
                +     status character varying DEFAULT 'pending'::character varying,
                |     created_at timestamp(6) without time zone NOT NULL
                """,
            ),
            MIG,
        ),
    ),
    case(
        "a Prisma migration alters a table",
        "Prisma",
        HIGH,
        f(
            "prisma/migrations/20240301120000_add_status/migration.sql",
            new(
                "prisma/migrations/20240301120000_add_status/migration.sql",
                """
                -- AlterTable
                ALTER TABLE "Order" ADD COLUMN "status" TEXT NOT NULL DEFAULT 'new';
                """,
            ),
            MIG,
        ),
    ),
    case(
        "schema.prisma gains a field",
        "Prisma",
        HIGH,
        f(
            "prisma/schema.prisma",
            edit(
                "prisma/schema.prisma",
                """
                | model Order {
                |   id         Int      @id @default(autoincrement())
                +   status     String   @default("new")
                |   createdAt  DateTime @default(now())
                """,
            ),
            MIG,
        ),
    ),
    case(
        "a Flyway migration under src/main/resources",
        "Flyway",
        HIGH,
        f(
            "src/main/resources/db/migration/V7__add_order_status.sql",
            new(
                "src/main/resources/db/migration/V7__add_order_status.sql",
                "ALTER TABLE orders ADD COLUMN status VARCHAR(20) NOT NULL DEFAULT 'new';",
            ),
            MIG,
        ),
    ),
    case(
        "a Flyway migration with a dotted version in a service module",
        "Flyway",
        HIGH,
        f(
            "orders-service/src/main/resources/db/migration/V2_1__index_orders.sql",
            new(
                "orders-service/src/main/resources/db/migration/V2_1__index_orders.sql",
                "CREATE INDEX idx_orders_customer ON orders (customer_id);",
            ),
            MIG,
        ),
    ),
    case(
        "a Flyway repeatable migration refreshes a view",
        "Flyway",
        HIGH,
        f(
            "src/main/resources/db/migration/R__order_totals_view.sql",
            edit(
                "src/main/resources/db/migration/R__order_totals_view.sql",
                """
                | CREATE OR REPLACE VIEW order_totals AS
                -   SELECT customer_id, sum(total) AS total FROM orders GROUP BY customer_id;
                +   SELECT customer_id, sum(total) AS total FROM orders WHERE status <> 'void' GROUP BY customer_id;
                """,
            ),
            MIG,
        ),
    ),
    case(
        "a Liquibase XML changelog",
        "Liquibase",
        HIGH,
        f(
            "src/main/resources/db/changelog/changes/002-add-status.xml",
            new(
                "src/main/resources/db/changelog/changes/002-add-status.xml",
                """
                <databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">
                  <changeSet id="002" author="ana">
                    <addColumn tableName="orders">
                      <column name="status" type="varchar(20)" defaultValue="new"/>
                    </addColumn>
                  </changeSet>
                </databaseChangeLog>
                """,
            ),
            MIG,
        ),
    ),
    case(
        "the Liquibase YAML master changelog includes a file",
        "Liquibase",
        HIGH,
        f(
            "src/main/resources/db/changelog/db.changelog-master.yaml",
            edit(
                "src/main/resources/db/changelog/db.changelog-master.yaml",
                """
                |   - include:
                |       file: db/changelog/changes/001-init.yaml
                +   - include:
                +       file: db/changelog/changes/002-add-status.yaml
                """,
            ),
            MIG,
        ),
    ),
    case(
        "a Liquibase JSON changelog outside the usual folder",
        "Liquibase",
        HIGH,
        f(
            "schema/changes/003-orders.json",
            new(
                "schema/changes/003-orders.json",
                """
                {"databaseChangeLog": [{"changeSet": {"id": "3", "author": "li",
                  "changes": [{"createIndex": {"tableName": "orders", "indexName": "ix_status",
                  "columns": [{"column": {"name": "status"}}]}}]}}]}
                """,
            ),
            MIG,
        ),
    ),
    case(
        "a Liquibase formatted SQL changelog",
        "Liquibase",
        HIGH,
        f(
            "liquibase/changelog/004-drop-legacy.sql",
            new(
                "liquibase/changelog/004-drop-legacy.sql",
                """
                --liquibase formatted sql
                --changeset ana:4
                DROP TABLE legacy_orders;
                """,
            ),
            MIG,
        ),
    ),
    case(
        "golang-migrate up and down files",
        "golang-migrate",
        HIGH,
        f(
            "db/migrations/000012_add_orders_status.up.sql",
            new(
                "db/migrations/000012_add_orders_status.up.sql", "ALTER TABLE orders ADD COLUMN status text;"
            ),
            MIG,
        ),
        f(
            "db/migrations/000012_add_orders_status.down.sql",
            new("db/migrations/000012_add_orders_status.down.sql", "ALTER TABLE orders DROP COLUMN status;"),
            MIG,
        ),
    ),
    case(
        "a goose SQL migration in a singular migration folder",
        "goose",
        HIGH,
        f(
            "internal/store/migration/20240301120000_add_status.sql",
            new(
                "internal/store/migration/20240301120000_add_status.sql",
                """
                -- +goose Up
                ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';
                -- +goose Down
                ALTER TABLE orders DROP COLUMN status;
                """,
            ),
            MIG,
        ),
    ),
    case(
        "a goose Go migration backfills data",
        "goose",
        HIGH,
        f(
            "cmd/migrate/steps/backfill_status.go",
            new(
                "cmd/migrate/steps/backfill_status.go",
                """
                package steps

                import "github.com/pressly/goose/v3"

                func init() {
                    goose.AddMigration(upBackfill, downBackfill)
                }
                """,
            ),
            MIG,
        ),
    ),
    case(
        "an xormigrate migration in Go code",
        "xormigrate",
        HIGH,
        f(
            "internal/db/migration/m0003_order_status.go",
            new(
                "internal/db/migration/m0003_order_status.go",
                """
                package migration

                var m0003 = &xormigrate.Migration{
                    ID: "0003",
                    Migrate: func(tx *xorm.Engine) error { return tx.Sync2(new(Order)) },
                }
                """,
            ),
            MIG,
        ),
    ),
    case(
        "an Atlas versioned migration and its checksum file",
        "Atlas",
        HIGH,
        f(
            "migrations/20240301120000.sql",
            new("migrations/20240301120000.sql", 'ALTER TABLE "orders" ADD COLUMN "status" text;'),
            MIG,
        ),
        f(
            "migrations/atlas.sum",
            edit("migrations/atlas.sum", "- h1:abc=\n+ h1:def=\n+ 20240301120000.sql h1:xyz="),
            MIG,
        ),
    ),
    case(
        "a Knex migration",
        "Knex",
        HIGH,
        f(
            "db/migrations/20240301120000_add_status.js",
            new(
                "db/migrations/20240301120000_add_status.js",
                """
                exports.up = function (knex) {
                  return knex.schema.alterTable("orders", (t) => t.string("status").defaultTo("new"));
                };
                """,
            ),
            MIG,
        ),
    ),
    case(
        "a Sequelize migration",
        "Sequelize",
        HIGH,
        f(
            "migrations/20240301120000-add-status.js",
            new(
                "migrations/20240301120000-add-status.js",
                """
                module.exports = {
                  up: async (queryInterface, Sequelize) => {
                    await queryInterface.addColumn("Orders", "status", { type: Sequelize.STRING });
                  },
                };
                """,
            ),
            MIG,
        ),
    ),
    case(
        "a TypeORM migration in src/migration",
        "TypeORM",
        HIGH,
        f(
            "src/migration/1709290000000-AddStatus.ts",
            new(
                "src/migration/1709290000000-AddStatus.ts",
                """
                import { MigrationInterface, QueryRunner } from "typeorm";

                export class AddStatus1709290000000 implements MigrationInterface {
                  public async up(queryRunner: QueryRunner): Promise<void> {
                    await queryRunner.query(`ALTER TABLE "order" ADD "status" varchar NOT NULL DEFAULT 'new'`);
                  }
                }
                """,
            ),
            MIG,
        ),
    ),
    case(
        "an EF Core migration with its designer and model snapshot",
        "EF Core",
        HIGH,
        f(
            "src/Orders.Infrastructure/Migrations/20240301120000_AddStatus.cs",
            new(
                "src/Orders.Infrastructure/Migrations/20240301120000_AddStatus.cs",
                """
                public partial class AddStatus : Migration
                {
                    protected override void Up(MigrationBuilder migrationBuilder)
                    {
                        migrationBuilder.AddColumn<string>(name: "Status", table: "Orders", nullable: false);
                    }
                }
                """,
            ),
            MIG,
        ),
        f(
            "src/Orders.Infrastructure/Migrations/20240301120000_AddStatus.Designer.cs",
            new(
                "src/Orders.Infrastructure/Migrations/20240301120000_AddStatus.Designer.cs",
                '[Migration("20240301120000_AddStatus")]\npartial class AddStatus { }',
            ),
            MIG,
        ),
        f(
            "src/Orders.Infrastructure/Migrations/OrdersDbContextModelSnapshot.cs",
            edit(
                "src/Orders.Infrastructure/Migrations/OrdersDbContextModelSnapshot.cs",
                """
                |                     b.Property<int>("Id");
                +                     b.Property<string>("Status").IsRequired();
                """,
            ),
            MIG,
        ),
    ),
    case(
        "a Laravel migration",
        "Laravel",
        HIGH,
        f(
            "database/migrations/2024_03_01_120000_add_status_to_orders_table.php",
            new(
                "database/migrations/2024_03_01_120000_add_status_to_orders_table.php",
                """
                <?php
                return new class extends Migration {
                    public function up(): void
                    {
                        Schema::table('orders', function (Blueprint $table) {
                            $table->string('status')->default('new');
                        });
                    }
                };
                """,
            ),
            MIG,
        ),
    ),
    case(
        "an Ecto migration",
        "Ecto",
        HIGH,
        f(
            "priv/repo/migrations/20240301120000_add_status.exs",
            new(
                "priv/repo/migrations/20240301120000_add_status.exs",
                """
                defmodule Shop.Repo.Migrations.AddStatus do
                  use Ecto.Migration

                  def change do
                    alter table(:orders), do: add(:status, :string)
                  end
                end
                """,
            ),
            MIG,
        ),
    ),
    case(
        "a Diesel migration folder",
        "Diesel",
        HIGH,
        f(
            "migrations/2024-03-01-120000_add_status/up.sql",
            new(
                "migrations/2024-03-01-120000_add_status/up.sql", "ALTER TABLE orders ADD COLUMN status TEXT;"
            ),
            MIG,
        ),
    ),
    case(
        "raw DDL inside a Go store package",
        "SQL DDL",
        HIGH,
        f(
            "internal/store/bootstrap.go",
            edit(
                "internal/store/bootstrap.go",
                """
                | var bootstrap = []string{
                | 	`CREATE TABLE IF NOT EXISTS orders (id bigserial PRIMARY KEY)`,
                + 	`ALTER TABLE orders ADD COLUMN IF NOT EXISTS status text`,
                | }
                """,
            ),
            MIG,
        ),
    ),
    case(
        "a maintenance script creates an index",
        "SQL DDL",
        HIGH,
        f(
            "scripts/reindex_orders.py",
            new(
                "scripts/reindex_orders.py",
                """
                def main(cursor):
                    cursor.execute("CREATE INDEX CONCURRENTLY ix_orders_status ON orders (status)")
                """,
            ),
            MIG,
        ),
    ),
    case(
        "a SQL file outside any migrations folder drops a table",
        "SQL DDL",
        HIGH,
        f(
            "sql/reports/cleanup.sql",
            new(
                "sql/reports/cleanup.sql",
                "DROP TABLE IF EXISTS report_cache;\nDROP VIEW IF EXISTS report_v1;",
            ),
            MIG,
        ),
    ),
    case(
        "a rake task renames a column",
        "SQL DDL",
        HIGH,
        f(
            "lib/tasks/rename_total.rake",
            new(
                "lib/tasks/rename_total.rake",
                """
                task rename_total: :environment do
                  ActiveRecord::Base.connection.execute("ALTER TABLE orders RENAME COLUMN total TO amount")
                end
                """,
            ),
            MIG,
        ),
    ),
    case(
        "a README inside db/migrate (a migration folder that holds docs)",
        "Rails",
        LOW,
        f(
            "db/migrate/README.md",
            edit("db/migrate/README.md", "| # Migrations\n+ Run `bin/rails db:migrate` after pulling."),
            DOC,
        ),
        trap=True,
    ),
    case(
        "a migration guide under docs/migration",
        "docs",
        LOW,
        f(
            "docs/migration/upgrading-to-v3.md",
            new(
                "docs/migration/upgrading-to-v3.md",
                """
                # Upgrading to v3

                Run `ALTER TABLE orders ADD COLUMN status text;` before deploying.
                """,
            ),
            DOC,
        ),
        trap=True,
    ),
    case(
        "notes kept in a migrations folder",
        "golang-migrate",
        LOW,
        f(
            "migrations/docs/conventions.md",
            new("migrations/docs/conventions.md", "Name files NNNNNN_name.up.sql."),
            DOC,
        ),
        trap=True,
    ),
    case(
        "a Django test app's migration kept as a test fixture",
        "tests",
        LOW,
        f(
            "tests/fixtures/migrations/0001_initial.py",
            new("tests/fixtures/migrations/0001_initial.py", DJANGO),
            TST,
        ),
        trap=True,
    ),
)

# ---- infrastructure --------------------------------------------------------------------------------

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders
spec:
  replicas: 3
  selector:
    matchLabels:
      app: orders
  template:
    spec:
      containers:
        - name: orders
          image: ghcr.io/acme/orders:1.4.2
"""

INFRA = (
    case(
        "a Terraform module changes an instance class",
        "Terraform",
        HIGH,
        f(
            "infra/modules/rds/main.tf",
            edit(
                "infra/modules/rds/main.tf",
                """
                | resource "aws_db_instance" "orders" {
                -   instance_class = "db.r6g.large"
                +   instance_class = "db.r6g.xlarge"
                """,
            ),
            INF,
        ),
    ),
    case(
        "Terraform outside any infra folder",
        "Terraform",
        HIGH,
        f(
            "services/orders/queue.tf",
            edit(
                "services/orders/queue.tf",
                "-   visibility_timeout_seconds = 30\n+   visibility_timeout_seconds = 60",
            ),
            INF,
        ),
    ),
    case(
        "an OpenTofu file",
        "OpenTofu",
        HIGH,
        f(
            "platform/prod/main.tofu",
            edit("platform/prod/main.tofu", "-   min_size = 2\n+   min_size = 1"),
            INF,
        ),
    ),
    case(
        "Terraform variables for production",
        "Terraform",
        HIGH,
        f(
            "envs/prod/terraform.tfvars",
            edit("envs/prod/terraform.tfvars", "- replicas = 6\n+ replicas = 3"),
            INF,
        ),
    ),
    case(
        "a Terragrunt module",
        "Terraform",
        HIGH,
        f(
            "live/prod/vpc/terragrunt.hcl",
            edit("live/prod/vpc/terragrunt.hcl", '-   cidr = "10.0.0.0/16"\n+   cidr = "10.1.0.0/16"'),
            INF,
        ),
    ),
    case(
        "the Terraform provider lock file",
        "Terraform",
        HIGH,
        f(
            ".terraform.lock.hcl",
            edit(
                ".terraform.lock.hcl",
                '| provider "registry.terraform.io/hashicorp/aws" {\n-   version = "5.30.0"\n+   version = "5.31.0"',
            ),
            INF,
        ),
    ),
    case(
        "a Pulumi stack configuration",
        "Pulumi",
        HIGH,
        f(
            "infra/Pulumi.prod.yaml",
            edit(
                "infra/Pulumi.prod.yaml",
                "|   aws:region: eu-west-1\n-   orders:replicas: 4\n+   orders:replicas: 2",
            ),
            INF,
        ),
    ),
    case(
        "a Pulumi program in a folder with no infra name",
        "Pulumi",
        HIGH,
        f(
            "stack/index.ts",
            new(
                "stack/index.ts",
                """
                import * as aws from "@pulumi/aws";

                export const bucket = new aws.s3.Bucket("orders-exports", { forceDestroy: true });
                """,
            ),
            INF,
        ),
    ),
    case(
        "a CDK stack",
        "CDK",
        HIGH,
        f(
            "lib/orders-stack.ts",
            edit(
                "lib/orders-stack.ts",
                """
                | import * as cdk from "aws-cdk-lib";
                | import * as sqs from "aws-cdk-lib/aws-sqs";
                -     new sqs.Queue(this, "Orders", { visibilityTimeout: cdk.Duration.seconds(30) });
                +     new sqs.Queue(this, "Orders", { visibilityTimeout: cdk.Duration.seconds(300) });
                """,
            ),
            INF,
        ),
    ),
    case(
        "the CDK app configuration",
        "CDK",
        HIGH,
        f(
            "cdk.json",
            edit(
                "cdk.json",
                '|   "app": "npx ts-node bin/app.ts",\n-   "context": {}\n+   "context": {"@aws-cdk/core:newStyleStackSynthesis": true}',
            ),
            INF,
        ),
    ),
    case(
        "a CloudFormation template in cfn/",
        "CloudFormation",
        HIGH,
        f(
            "cfn/network.yaml",
            edit(
                "cfn/network.yaml",
                "|   Vpc:\n|     Type: AWS::EC2::VPC\n-       CidrBlock: 10.0.0.0/16\n+       CidrBlock: 10.2.0.0/16",
            ),
            INF,
        ),
    ),
    case(
        "a CloudFormation template recognised by its content",
        "CloudFormation",
        HIGH,
        f(
            "templates/queue.yaml",
            new(
                "templates/queue.yaml",
                """
                AWSTemplateFormatVersion: "2010-09-09"
                Resources:
                  OrdersQueue:
                    Type: AWS::SQS::Queue
                """,
            ),
            INF,
        ),
    ),
    case(
        "a SAM template",
        "CloudFormation",
        HIGH,
        f(
            "template.yaml",
            edit(
                "template.yaml",
                "| Transform: AWS::Serverless-2016-10-31\n| Resources:\n-   Timeout: 10\n+   Timeout: 30",
            ),
            INF,
        ),
    ),
    case(
        "an Ansible role's tasks",
        "Ansible",
        HIGH,
        f(
            "ansible/roles/nginx/tasks/main.yml",
            edit(
                "ansible/roles/nginx/tasks/main.yml",
                "| - name: install nginx\n-   apt: name=nginx=1.24.*\n+   apt: name=nginx=1.25.*",
            ),
            INF,
        ),
    ),
    case(
        "an Ansible role outside an ansible folder",
        "Ansible",
        HIGH,
        f(
            "roles/db/handlers/main.yml",
            edit("roles/db/handlers/main.yml", "- - name: restart postgres\n+ - name: reload postgres"),
            INF,
        ),
    ),
    case(
        "an Ansible playbook recognised by its content",
        "Ansible",
        HIGH,
        f(
            "site-deploy.yml",
            new(
                "site-deploy.yml",
                """
                - hosts: web
                  become: true
                  tasks:
                    - name: deploy orders
                      ansible.builtin.copy: src=orders dest=/srv/orders
                """,
            ),
            INF,
        ),
    ),
    case(
        "a Helm chart template in charts/",
        "Helm",
        HIGH,
        f(
            "charts/orders/templates/deployment.yaml",
            edit(
                "charts/orders/templates/deployment.yaml",
                "| spec:\n-   replicas: {{ .Values.replicaCount }}\n+   replicas: {{ .Values.orders.replicas }}",
            ),
            INF,
        ),
    ),
    case(
        "a Helm chart in helm-chart/",
        "Helm",
        HIGH,
        f(
            "helm-chart/templates/service.yaml",
            edit("helm-chart/templates/service.yaml", "-   port: 80\n+   port: 8080"),
            INF,
        ),
    ),
    case(
        "a Helm chart in an unusual folder, with its Chart.yaml in the change",
        "Helm",
        HIGH,
        f(
            "packaging/orders/Chart.yaml",
            edit("packaging/orders/Chart.yaml", "| name: orders\n- version: 1.4.2\n+ version: 1.5.0"),
            INF,
        ),
        f(
            "packaging/orders/templates/hpa.yaml",
            edit("packaging/orders/templates/hpa.yaml", "-   maxReplicas: 10\n+   maxReplicas: 4"),
            INF,
        ),
    ),
    case(
        "a Helm template in an unusual folder, recognised by its template syntax",
        "Helm",
        HIGH,
        f(
            "build/orders/templates/configmap.yaml",
            edit(
                "build/orders/templates/configmap.yaml",
                "| data:\n-   LOG_LEVEL: {{ .Values.logLevel | quote }}\n+   LOG_LEVEL: {{ .Values.log.level | quote }}",
            ),
            INF,
        ),
    ),
    case(
        "Helm values for production",
        "Helm",
        HIGH,
        f(
            "charts/orders/values-prod.yaml",
            edit("charts/orders/values-prod.yaml", "- replicaCount: 6\n+ replicaCount: 2"),
            INF,
        ),
    ),
    case(
        "a kustomization",
        "kustomize",
        HIGH,
        f(
            "k8s/overlays/prod/kustomization.yaml",
            edit(
                "k8s/overlays/prod/kustomization.yaml",
                "| images:\n|   - name: orders\n-     newTag: 1.4.2\n+     newTag: 1.5.0",
            ),
            INF,
        ),
    ),
    case(
        "a kustomize overlay in an unusual folder, marked by its kustomization.yaml",
        "kustomize",
        HIGH,
        f(
            "environments/prod/kustomization.yaml",
            edit("environments/prod/kustomization.yaml", "| patches:\n+   - path: replicas-patch.yaml"),
            INF,
        ),
        f(
            "environments/prod/replicas-patch.yaml",
            new("environments/prod/replicas-patch.yaml", "- op: replace\n  path: /spec/replicas\n  value: 2"),
            INF,
        ),
    ),
    case(
        "Kubernetes manifests under config/deploy (krane)",
        "Kubernetes",
        HIGH,
        f(
            "config/deploy/production/web.yml",
            edit(
                "config/deploy/production/web.yml",
                "|   replicas: 4\n-   image: acme/web:1\n+   image: acme/web:2",
            ),
            INF,
        ),
    ),
    case(
        "a templated Kubernetes manifest (*.yaml.erb)",
        "Kubernetes",
        HIGH,
        f(
            "deploy/templates/worker.yaml.erb",
            new(
                "deploy/templates/worker.yaml.erb",
                """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: worker-<%= environment %>
                """,
            ),
            INF,
        ),
    ),
    case(
        "a templated Kubernetes manifest (*.yaml.tpl) in an app folder",
        "Kubernetes",
        HIGH,
        f(
            "apps/orders/cronjob.yaml.tpl",
            new(
                "apps/orders/cronjob.yaml.tpl",
                "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: ${NAME}",
            ),
            INF,
        ),
    ),
    case(
        "a Kubernetes manifest recognised by its content, in an app folder",
        "Kubernetes",
        HIGH,
        f("apps/orders/deployment.yaml", new("apps/orders/deployment.yaml", DEPLOYMENT), INF),
    ),
    case(
        "a replica count changed in a manifest whose hunk shows only pod-spec fields",
        "Kubernetes",
        HIGH,
        f(
            "services/orders/kube.yaml",
            edit(
                "services/orders/kube.yaml",
                "| spec:\n-   replicas: 3\n+   replicas: 6\n|   selector:\n|     matchLabels:",
            ),
            INF,
        ),
    ),
    case(
        "a Kamal deploy configuration",
        "Kamal",
        HIGH,
        f(
            "config/deploy.yml",
            edit("config/deploy.yml", "| servers:\n|   web:\n-     - 10.0.0.1\n+     - 10.0.0.2"),
            INF,
        ),
    ),
    case(
        "a Procfile",
        "platform",
        HIGH,
        f(
            "Procfile",
            edit(
                "Procfile",
                "- web: bundle exec puma -C config/puma.rb\n+ web: bundle exec puma -w 4 -C config/puma.rb",
            ),
            INF,
        ),
    ),
    case(
        "a Serverless service",
        "platform",
        HIGH,
        f(
            "serverless.yml",
            edit("serverless.yml", "|   handler: handler.orders\n-   timeout: 6\n+   timeout: 29"),
            INF,
        ),
    ),
    case(
        "a Nomad job",
        "platform",
        HIGH,
        f("jobs/orders.nomad.hcl", edit("jobs/orders.nomad.hcl", "-   count = 3\n+   count = 1"), INF),
    ),
    case(
        "a Bicep template",
        "Azure",
        HIGH,
        f(
            "azure/main.bicep",
            edit("azure/main.bicep", "- param skuName string = 'P1v3'\n+ param skuName string = 'B1'"),
            INF,
        ),
    ),
    case(
        "an example Kubernetes manifest in the docs",
        "docs",
        LOW,
        f("docs/examples/k8s/deployment.yaml", new("docs/examples/k8s/deployment.yaml", DEPLOYMENT), DOC),
        trap=True,
    ),
)

# ---- CI and delivery ------------------------------------------------------------------------------

DELIVERY = (
    case(
        "a GitHub Actions workflow",
        "GitHub Actions",
        HIGH,
        f(
            ".github/workflows/deploy.yml",
            edit(
                ".github/workflows/deploy.yml",
                "|     runs-on: ubuntu-latest\n-     environment: production\n+     environment: staging",
            ),
            CI,
        ),
    ),
    case(
        "a composite action",
        "GitHub Actions",
        HIGH,
        f(
            ".github/actions/setup/action.yml",
            edit(
                ".github/actions/setup/action.yml",
                "| runs:\n|   using: composite\n-       run: make setup\n+       run: make setup-fast",
            ),
            CI,
        ),
    ),
    case(
        "a GitLab pipeline",
        "GitLab CI",
        HIGH,
        f(
            ".gitlab-ci.yml",
            edit(".gitlab-ci.yml", "| deploy:\n|   stage: deploy\n-   when: manual\n+   when: on_success"),
            CI,
        ),
    ),
    case(
        "an included GitLab pipeline fragment",
        "GitLab CI",
        HIGH,
        f(
            ".gitlab/ci/deploy.gitlab-ci.yml",
            edit(".gitlab/ci/deploy.gitlab-ci.yml", "-   only: [main]\n+   only: [main, /^release-.*$/]"),
            CI,
        ),
    ),
    case(
        "a CircleCI config",
        "CircleCI",
        HIGH,
        f(
            ".circleci/config.yml",
            edit(
                ".circleci/config.yml",
                "|       - deploy:\n-           requires: [test]\n+           requires: []",
            ),
            CI,
        ),
    ),
    case(
        "a Jenkinsfile",
        "Jenkins",
        HIGH,
        f(
            "Jenkinsfile",
            edit(
                "Jenkinsfile",
                "|         stage('Deploy') {\n-             when { branch 'main' }\n+             when { anyOf { branch 'main'; branch 'hotfix/*' } }",
            ),
            CI,
        ),
    ),
    case(
        "a release Jenkinsfile in ci/",
        "Jenkins",
        HIGH,
        f(
            "ci/Jenkinsfile.release",
            edit("ci/Jenkinsfile.release", "-     sh 'make release'\n+     sh 'make release SKIP_TESTS=1'"),
            CI,
        ),
    ),
    case(
        "Azure Pipelines",
        "Azure Pipelines",
        HIGH,
        f("azure-pipelines.yml", edit("azure-pipelines.yml", "| trigger:\n-   - main\n+   - '*'"), CI),
    ),
    case(
        "an Azure Pipelines template",
        "Azure Pipelines",
        HIGH,
        f(
            ".azure-pipelines/templates/build.yml",
            edit(
                ".azure-pipelines/templates/build.yml", "-   vmImage: ubuntu-22.04\n+   vmImage: ubuntu-24.04"
            ),
            CI,
        ),
    ),
    case(
        "a Buildkite pipeline",
        "Buildkite",
        HIGH,
        f(
            ".buildkite/pipeline.yml",
            edit(".buildkite/pipeline.yml", "|   - label: deploy\n-     branches: main\n+     branches: '*'"),
            CI,
        ),
    ),
    case(
        "a Drone pipeline",
        "Drone",
        HIGH,
        f(
            ".drone.yml",
            edit(
                ".drone.yml",
                "| - name: publish\n-   image: plugins/docker:20\n+   image: plugins/docker:latest",
            ),
            CI,
        ),
    ),
    case(
        "a Woodpecker workflow in .woodpecker/",
        "Woodpecker",
        HIGH,
        f(
            ".woodpecker/test.yml",
            edit(".woodpecker/test.yml", "|   test:\n-     image: golang:1.21\n+     image: golang:1.22"),
            CI,
        ),
    ),
    case(
        "a Woodpecker pipeline file",
        "Woodpecker",
        HIGH,
        f(
            ".woodpecker.yml",
            edit(".woodpecker.yml", "-   when: {branch: main}\n+   when: {branch: [main, develop]}"),
            CI,
        ),
    ),
    case(
        "a Travis config",
        "Travis",
        HIGH,
        f(
            ".travis.yml",
            edit(".travis.yml", "| deploy:\n-   on: {branch: main}\n+   on: {all_branches: true}"),
            CI,
        ),
    ),
    case(
        "an Argo CD Application recognised by its content",
        "Argo CD",
        HIGH,
        f(
            "clusters/prod/orders-app.yaml",
            new(
                "clusters/prod/orders-app.yaml",
                """
                apiVersion: argoproj.io/v1alpha1
                kind: Application
                metadata:
                  name: orders
                spec:
                  syncPolicy:
                    automated: {prune: true}
                """,
            ),
            CI,
        ),
    ),
    case(
        "a Flux HelmRelease",
        "Flux",
        HIGH,
        f(
            "clusters/prod/orders/release.yaml",
            edit(
                "clusters/prod/orders/release.yaml",
                "| apiVersion: helm.toolkit.fluxcd.io/v2beta1\n| kind: HelmRelease\n-       version: 1.4.2\n+       version: 1.5.0",
            ),
            CI,
        ),
    ),
    case(
        "Bitbucket Pipelines",
        "Bitbucket",
        HIGH,
        f(
            "bitbucket-pipelines.yml",
            edit(
                "bitbucket-pipelines.yml",
                "|     - step:\n-         deployment: production\n+         deployment: test",
            ),
            CI,
        ),
    ),
    case(
        "a publish script in ci/",
        "CI scripts",
        HIGH,
        f(
            "ci/scripts/publish.sh",
            edit("ci/scripts/publish.sh", "- npm publish --tag next\n+ npm publish --tag latest"),
            CI,
        ),
    ),
    case(
        "a deploy script",
        "CI scripts",
        HIGH,
        f(
            "scripts/deploy.sh",
            edit(
                "scripts/deploy.sh",
                "| set -euo pipefail\n- kubectl rollout status deploy/orders --timeout=300s\n+ kubectl rollout status deploy/orders --timeout=30s",
            ),
            CI,
        ),
    ),
)

# ---- container builds -------------------------------------------------------------------------------

CONTAINERS = (
    case(
        "a root Dockerfile",
        "Docker",
        HIGH,
        f("Dockerfile", edit("Dockerfile", "- FROM python:3.11-slim\n+ FROM python:3.12-slim"), CTR),
    ),
    case(
        "a service Dockerfile",
        "Docker",
        HIGH,
        f(
            "services/orders/Dockerfile",
            edit("services/orders/Dockerfile", "| COPY . /app\n- USER app\n+ USER root"),
            CTR,
        ),
    ),
    case(
        "a named *.Dockerfile",
        "Docker",
        HIGH,
        f(
            "docker/orders.Dockerfile",
            edit(
                "docker/orders.Dockerfile",
                "- RUN pip install -r requirements.txt\n+ RUN pip install -U -r requirements.txt",
            ),
            CTR,
        ),
    ),
    case(
        "a Dockerfile.prod",
        "Docker",
        HIGH,
        f(
            "Dockerfile.prod",
            edit("Dockerfile.prod", '- ENTRYPOINT ["gunicorn"]\n+ ENTRYPOINT ["uvicorn"]'),
            CTR,
        ),
    ),
    case(
        "a Containerfile",
        "Podman",
        HIGH,
        f("Containerfile", edit("Containerfile", "- FROM fedora:39\n+ FROM fedora:40"), CTR),
    ),
    case(
        "a Compose file",
        "Compose",
        HIGH,
        f(
            "docker-compose.yml",
            edit("docker-compose.yml", "|   db:\n-     image: postgres:15\n+     image: postgres:16"),
            CTR,
        ),
    ),
    case(
        "a Compose override",
        "Compose",
        HIGH,
        f(
            "compose.override.yaml",
            edit("compose.override.yaml", "|     ports:\n-       - 127.0.0.1:5432:5432\n+       - 5432:5432"),
            CTR,
        ),
    ),
    case(
        "the Docker build context",
        "Docker",
        HIGH,
        f(".dockerignore", edit(".dockerignore", "| # secrets stay out\n- .env"), CTR),
    ),
    case(
        "a Dockerfile under docs/examples",
        "Docker",
        HIGH,
        f(
            "docs/examples/Dockerfile",
            edit("docs/examples/Dockerfile", "- FROM node:18\n+ FROM node:20"),
            CTR,
        ),
        trap=True,
    ),
    case(
        "a document about the Docker image",
        "docs",
        LOW,
        f(
            "docs/docker.md",
            edit("docs/docker.md", "- Build with `docker build .`\n+ Build with `docker buildx build .`"),
            DOC,
        ),
    ),
)

# ---- security-sensitive code --------------------------------------------------------------------------

SENSITIVE = (
    case(
        "a small change to session handling",
        "auth",
        MEDIUM,
        f(
            "app/auth/session.py",
            edit("app/auth/session.py", "- SESSION_TTL = 3600\n+ SESSION_TTL = 7200"),
            SEC,
        ),
    ),
    case(
        "a CORS middleware widened to every origin",
        "CORS",
        HIGH,
        f(
            "src/middleware/cors.ts",
            edit(
                "src/middleware/cors.ts",
                "| app.use(cors({\n-   origin: ['https://shop.acme.com'],\n+   origin: '*',\n|   credentials: true,",
            ),
            SEC,
        ),
    ),
    case(
        "Django settings allow every CORS origin",
        "CORS",
        HIGH,
        f(
            "config/settings/production.py",
            edit(
                "config/settings/production.py",
                "- CORS_ALLOWED_ORIGINS = ['https://shop.acme.com']\n+ CORS_ALLOW_ALL_ORIGINS = True",
            ),
            SEC,
        ),
    ),
    case(
        "a removed permission test (tests that weaken a check)",
        "auth",
        HIGH,
        f(
            "tests/test_permissions.py",
            edit(
                "tests/test_permissions.py",
                """
                | def test_admin_can_delete_order(client, admin):
                |     assert client.delete("/orders/1", user=admin).status_code == 204
                -
                -
                - def test_non_admin_cannot_delete_order(client, user):
                -     assert client.delete("/orders/1", user=user).status_code == 403
                """,
            ),
            SEC,
        ),
    ),
    case(
        "a removed login_required decorator",
        "auth",
        HIGH,
        f(
            "orders/views.py",
            edit(
                "orders/views.py",
                "- @login_required\n| def export_orders(request):\n|     return render_csv(Order.objects.all())",
            ),
            SEC,
        ),
    ),
    case(
        "TLS verification switched off in a Go client",
        "TLS",
        HIGH,
        f(
            "internal/httpclient/client.go",
            edit(
                "internal/httpclient/client.go",
                "| 	tr := &http.Transport{\n+ 		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},\n| 	}",
            ),
            SEC,
        ),
    ),
    case(
        "key rotation schedule in a crypto package",
        "crypto",
        MEDIUM,
        f(
            "pkg/crypto/rotation.go",
            edit(
                "pkg/crypto/rotation.go",
                "- const rotateEvery = 30 * 24 * time.Hour\n+ const rotateEvery = 90 * 24 * time.Hour",
            ),
            SEC,
        ),
    ),
    case(
        "a password service",
        "passwords",
        MEDIUM,
        f(
            "src/main/java/com/acme/account/PasswordService.java",
            edit(
                "src/main/java/com/acme/account/PasswordService.java",
                "-     private static final int MIN_LENGTH = 12;\n+     private static final int MIN_LENGTH = 10;",
            ),
            SEC,
        ),
    ),
    case(
        "a Rails controller skips authentication",
        "auth",
        HIGH,
        f(
            "app/controllers/exports_controller.rb",
            edit(
                "app/controllers/exports_controller.rb",
                "| class ExportsController < ApplicationController\n-   before_action :authenticate_user!\n+   skip_before_action :authenticate_user!",
            ),
            SEC,
        ),
    ),
    case(
        "an insecure session cookie",
        "cookies",
        HIGH,
        f(
            "web/server/app.js",
            edit(
                "web/server/app.js",
                "| app.use(session({\n-   cookie: { secure: true, httpOnly: true },\n+   cookie: { secure: false, httpOnly: true },",
            ),
            SEC,
        ),
    ),
    case(
        "an RBAC role map",
        "permissions",
        MEDIUM,
        f(
            "app/rbac/roles.py",
            edit("app/rbac/roles.py", '|     "support": [\n+         "orders.refund",\n|     ],'),
            SEC,
        ),
    ),
    case(
        "JWT decoding accepts unsigned tokens",
        "tokens",
        HIGH,
        f(
            "api/deps.py",
            edit(
                "api/deps.py",
                '- payload = jwt.decode(token, KEY, algorithms=["HS256"])\n+ payload = jwt.decode(token, KEY, algorithms=["none", "HS256"])',
            ),
            SEC,
        ),
    ),
    case(
        "password checking in a utility module",
        "passwords",
        MEDIUM,
        f(
            "accounts/utils.py",
            edit(
                "accounts/utils.py",
                "- def verify_password(user, raw):\n+ def verify_password(user, raw, *, upgrade=True):",
            ),
            SEC,
        ),
    ),
    case(
        "a CSP that allows inline scripts",
        "CSP",
        HIGH,
        f(
            "web/next.config.js",
            edit(
                "web/next.config.js", "-   \"script-src 'self'\",\n+   \"script-src 'self' 'unsafe-inline'\","
            ),
            SEC,
        ),
    ),
)

# ---- docs and tests ------------------------------------------------------------------------------------

OPENAPI_TEXT = """
|   /orders/{id}:
|     get:
-       summary: Get an order
+       summary: Fetch one order by id
|       description: |
-         Returns the order.
+         Returns the order, with its lines and status.
|       parameters:
"""

EXEMPT = (
    case(
        "a guide under docs/",
        "docs",
        LOW,
        f("docs/guide/setup.md", edit("docs/guide/setup.md", "- Run make.\n+ Run `make dev`."), DOC),
    ),
    case(
        "a runbook in a nested docs folder",
        "docs",
        LOW,
        f(
            "services/orders/docs/runbook.txt",
            edit("services/orders/docs/runbook.txt", "- page the on-call\n+ page #orders-oncall"),
            DOC,
        ),
    ),
    case(
        "an MDX page",
        "docs",
        LOW,
        f("website/pages/intro.mdx", edit("website/pages/intro.mdx", "- # Intro\n+ # Introduction"), DOC),
    ),
    case(
        "a CHANGELOG entry",
        "docs",
        LOW,
        f("CHANGELOG", edit("CHANGELOG", "| ## 1.5.0\n+ - orders: status field"), DOC),
    ),
    case(
        "an OpenAPI description-only edit",
        "OpenAPI",
        LOW,
        f("api/openapi.yaml", edit("api/openapi.yaml", OPENAPI_TEXT), DOC),
    ),
    case(
        "an OpenAPI change that makes a field required",
        "OpenAPI",
        MEDIUM,
        f(
            "api/openapi.yaml",
            edit(
                "api/openapi.yaml",
                "|       required:\n|         - id\n+         - status\n|       properties:",
            ),
            CFG,
        ),
    ),
    case(
        "a Go test",
        "Go",
        LOW,
        f(
            "internal/orders/service_test.go",
            edit("internal/orders/service_test.go", "| func TestTotal(t *testing.T) {\n+ 	t.Parallel()"),
            TST,
        ),
    ),
    case(
        "a TypeScript spec",
        "TypeScript",
        LOW,
        f(
            "web/src/cart/cart.spec.ts",
            edit("web/src/cart/cart.spec.ts", "-   expect(total).toBe(10)\n+   expect(total).toEqual(10)"),
            TST,
        ),
    ),
    case(
        "a TSX test",
        "TypeScript",
        LOW,
        f(
            "web/src/Button.test.tsx",
            edit("web/src/Button.test.tsx", "+   it('renders a label', () => render(<Button label='x' />))"),
            TST,
        ),
    ),
    case(
        "a JUnit test under src/test",
        "Java",
        LOW,
        f(
            "src/test/java/com/acme/orders/OrderServiceTest.java",
            edit(
                "src/test/java/com/acme/orders/OrderServiceTest.java",
                "|     @Test\n-     void totals() {\n+     void totalsIncludeTax() {",
            ),
            TST,
        ),
    ),
    case(
        "a test resource under src/test",
        "Java",
        LOW,
        f(
            "src/test/resources/application-test.yml",
            edit(
                "src/test/resources/application-test.yml",
                "- logging.level.root: INFO\n+ logging.level.root: WARN",
            ),
            TST,
        ),
    ),
    case(
        "an e2e support file",
        "e2e",
        LOW,
        f(
            "e2e/support/commands.ts",
            edit(
                "e2e/support/commands.ts",
                "- Cypress.Commands.add('login', login)\n+ Cypress.Commands.add('signIn', login)",
            ),
            TST,
        ),
    ),
    case(
        "a pytest module",
        "Python",
        LOW,
        f(
            "tests/unit/test_cart.py",
            edit(
                "tests/unit/test_cart.py",
                "+ def test_empty_cart_total_is_zero():\n+     assert Cart().total == 0",
            ),
            TST,
        ),
    ),
    case(
        "a Jest snapshot",
        "snapshots",
        LOW,
        f(
            "web/src/__snapshots__/Button.test.tsx.snap",
            edit(
                "web/src/__snapshots__/Button.test.tsx.snap", '-   class="btn"\n+   class="btn btn-primary"'
            ),
            TST,
        ),
    ),
    case(
        "a Kubernetes manifest kept as a test fixture",
        "tests",
        LOW,
        f("tests/fixtures/k8s/deployment.yaml", new("tests/fixtures/k8s/deployment.yaml", DEPLOYMENT), TST),
        trap=True,
    ),
    case(
        "a Go testdata manifest",
        "Go",
        LOW,
        f(
            "internal/render/testdata/deployment.yaml",
            new("internal/render/testdata/deployment.yaml", DEPLOYMENT),
            TST,
        ),
        trap=True,
    ),
    case(
        "an RSpec spec",
        "Ruby",
        LOW,
        f(
            "spec/models/order_spec.rb",
            edit("spec/models/order_spec.rb", "+   it { is_expected.to validate_presence_of(:status) }"),
            TST,
        ),
    ),
    case(
        "a new permission test (adding a check never weakens one)",
        "auth",
        LOW,
        f(
            "tests/test_permissions.py",
            edit(
                "tests/test_permissions.py",
                "+ def test_guest_cannot_export_orders(client):\n+     assert client.get('/orders/export').status_code == 403",
            ),
            TST,
        ),
    ),
    case(
        "tests and docs together",
        "tests",
        LOW,
        f(
            "tests/test_api.py",
            edit("tests/test_api.py", "- assert r.ok\n+ assert r.status_code == 200"),
            TST,
        ),
        f("README.md", edit("README.md", "- ## Tests\n+ ## Running the tests"), DOC),
    ),
)

# ---- code, config and dependencies: medium unless shown to be low ----------------------------------------


def _code_lines(count: int, name: str) -> str:
    return many("+", "    total_" + name + "_{i} = compute_" + name + "(order, {i})", count)


PY_COMMENTS = """
| def total(order):
-     # sum the lines
+     # Sum the order's lines; discounts are applied per line, not on the total.
|     return sum(line.amount for line in order.lines)  # cents
-
| # helpers
+ # Helpers used by the checkout flow.
"""

GO_COMMENTS = "\n".join(
    [
        *(f"- // Handler{i} handles requests." for i in range(12)),
        *(f"+ // Handler{i} handles order requests for the public API." for i in range(12)),
        "| func Register(mux *http.ServeMux) {",
    ]
)

JS_REINDENT = "\n".join(
    [
        *(f"-     const v{i} = items[{i}] ;" for i in range(15)),
        *(f"+   const v{i} = items[{i}];" for i in range(15)),
    ]
)

DEFAULTS = (
    case(
        "a small change to a pricing function",
        "code",
        LOW,
        f(
            "services/orders/pricing.py",
            edit(
                "services/orders/pricing.py",
                "| def discount(order):\n-     if order.total > 100:\n+     if order.total >= 100:\n|         return 0.1",
            ),
            CODE,
        ),
    ),
    case(
        "a bigger change across three files",
        "code",
        MEDIUM,
        f("services/orders/pricing.py", edit("services/orders/pricing.py", _code_lines(30, "a")), CODE),
        f("services/orders/cart.py", edit("services/orders/cart.py", _code_lines(30, "b")), CODE),
        f("services/orders/api.py", edit("services/orders/api.py", _code_lines(20, "c")), CODE),
    ),
    case(
        "45 lines in one file",
        "code",
        MEDIUM,
        f(
            "pkg/orders/reconcile.go",
            edit("pkg/orders/reconcile.go", many("+", "	total{i} := reconcile(o, {i})", 45)),
            CODE,
        ),
    ),
    case(
        "three small edits in three files",
        "code",
        MEDIUM,
        f("a/one.py", edit("a/one.py", "- x = 1\n+ x = 2"), CODE),
        f("a/two.py", edit("a/two.py", "- y = 1\n+ y = 2"), CODE),
        f("a/three.py", edit("a/three.py", "- z = 1\n+ z = 2"), CODE),
    ),
    case(
        "comments only in Python",
        "comments",
        LOW,
        f("services/orders/totals.py", edit("services/orders/totals.py", PY_COMMENTS), CODE),
    ),
    case(
        "comments only in Go, 24 lines",
        "comments",
        LOW,
        f("internal/api/handlers.go", edit("internal/api/handlers.go", GO_COMMENTS), CODE),
    ),
    case(
        "re-indented JavaScript, 30 lines",
        "layout",
        LOW,
        f("web/src/items.js", edit("web/src/items.js", JS_REINDENT), CODE),
    ),
    case(
        "a Python re-indent that moves a statement into a block",
        "layout",
        MEDIUM,
        f(
            "services/orders/notify.py",
            edit(
                "services/orders/notify.py",
                "| if order.paid:\n|     send_receipt(order)\n- archive(order)\n+     archive(order)\n"
                + many("+", "    log_{i}(order)", 19),
            ),
            CODE,
        ),
        trap=True,
    ),
    case(
        "a URL in a string that looks like a comment",
        "layout",
        MEDIUM,
        f(
            "web/src/config.js",
            edit(
                "web/src/config.js",
                many("-", "export const API_{i} = 'https://api.acme.com/v1'", 12)
                + "\n"
                + many("+", "export const API_{i} = 'https://api.evil.example/v1'", 12),
            ),
            CODE,
        ),
        trap=True,
    ),
    case(
        "a Dependabot patch bump (package.json and package-lock.json)",
        "npm",
        LOW,
        f(
            "package.json",
            edit("package.json", '-     "lodash": "^4.17.20",\n+     "lodash": "^4.17.21",'),
            DEP,
        ),
        f(
            "package-lock.json",
            edit(
                "package-lock.json",
                """
                |     "node_modules/lodash": {
                -       "version": "4.17.20",
                -       "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz",
                -       "integrity": "sha512-PlhdFcillOINfeV7Ni6oF1TAEayyZBoZ8bcshTHqOYJYlrqzRK5hagpagky5o4HfCzzd1TRkXPMFq6cKk9rGmA=="
                +       "version": "4.17.21",
                +       "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz",
                +       "integrity": "sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg=="
                """,
            ),
            DEP,
        ),
    ),
    case(
        "a Go patch bump (go.mod and go.sum)",
        "Go modules",
        LOW,
        f(
            "go.mod",
            edit("go.mod", "- 	github.com/jackc/pgx/v5 v5.5.4\n+ 	github.com/jackc/pgx/v5 v5.5.5"),
            DEP,
        ),
        f(
            "go.sum",
            edit(
                "go.sum",
                """
                - github.com/jackc/pgx/v5 v5.5.4 h1:Xp2aQS8uXButQdnCMWNmvx6UysWQQC+u1EoizjguY+8=
                - github.com/jackc/pgx/v5 v5.5.4/go.mod h1:ez9gk+OAat140fv9ErkZDYFWmXLfV+++K0uAOiwgm1A=
                + github.com/jackc/pgx/v5 v5.5.5 h1:amBjrZVmksIdNjxGu/UR3/EX+wnvz28bNJhGnFZ8fdY=
                + github.com/jackc/pgx/v5 v5.5.5/go.mod h1:ez9gk+OAat140fv9ErkZDYFWmXLfV+++K0uAOiwgm1A=
                """,
            ),
            DEP,
        ),
    ),
    case(
        "a minor version bump in poetry.lock",
        "Poetry",
        MEDIUM,
        f(
            "poetry.lock",
            edit(
                "poetry.lock",
                """
                | name = "requests"
                - version = "2.31.0"
                + version = "2.32.0"
                """,
            ),
            DEP,
        ),
        f("pyproject.toml", edit("pyproject.toml", '- requests = "^2.31.0"\n+ requests = "^2.32.0"'), DEP),
    ),
    case(
        "a lock file that gains a new package",
        "Yarn",
        MEDIUM,
        f(
            "yarn.lock",
            edit(
                "yarn.lock",
                """
                + left-pad@^1.3.0:
                +   version "1.3.0"
                +   resolved "https://registry.yarnpkg.com/left-pad/-/left-pad-1.3.0.tgz#5b8a3a7765dfe001261dde915589e782f8c94d1e"
                +   integrity sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQ8eGLgeo3bT9Yg6tlbnDrKvD0Cj8LGvXxDfIXWCOqwsP8Sfw==
                """,
            ),
            DEP,
        ),
        f("package.json", edit("package.json", '+     "left-pad": "^1.3.0",'), DEP),
    ),
    case(
        "a checksum that changes without a version (a republished package)",
        "npm",
        MEDIUM,
        f(
            "package-lock.json",
            edit(
                "package-lock.json",
                """
                |       "version": "4.17.21",
                -       "integrity": "sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg=="
                +       "integrity": "sha512-AAAAEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg=="
                """,
            ),
            DEP,
        ),
        trap=True,
    ),
    case(
        "a small feature flag change",
        "config",
        LOW,
        f(
            "config/feature_flags.yaml",
            edit("config/feature_flags.yaml", "- new_checkout: false\n+ new_checkout: true"),
            CFG,
        ),
    ),
    case(
        "docs plus a small code fix",
        "code",
        LOW,
        f("docs/orders.md", edit("docs/orders.md", "- Totals round down.\n+ Totals round half up."), DOC),
        f(
            "services/orders/rounding.py",
            edit("services/orders/rounding.py", "- return math.floor(x)\n+ return round(x)"),
            CODE,
        ),
    ),
    case(
        "a tested fix: one code file and its tests",
        "code",
        LOW,
        f(
            "services/orders/rounding.py",
            edit("services/orders/rounding.py", "- return math.floor(x)\n+ return round(x)"),
            CODE,
        ),
        f(
            "tests/test_rounding.py",
            edit(
                "tests/test_rounding.py",
                many("+", "def test_round_{i}(): assert rounding({i}.5) == {i} + 1", 30),
            ),
            TST,
        ),
    ),
    case(
        "tooling opted into low by policy",
        "policy",
        LOW,
        f("tools/release-notes/gen.py", edit("tools/release-notes/gen.py", _code_lines(60, "notes")), CODE),
        rules=(RiskRule(paths=["tools/**"], risk=LOW),),
    ),
    case(
        "a policy's low opt-in never lowers a container build",
        "policy",
        HIGH,
        f("tools/Dockerfile", edit("tools/Dockerfile", "- FROM alpine:3.18\n+ FROM alpine:3.19"), CTR),
        rules=(RiskRule(paths=["tools/**"], risk=LOW),),
        trap=True,
    ),
    case(
        "a policy's low opt-in never lowers a sensitive file",
        "policy",
        MEDIUM,
        f("tools/auth_helper.py", edit("tools/auth_helper.py", "- TTL = 60\n+ TTL = 120"), SEC),
        rules=(RiskRule(paths=["tools/**"], risk=LOW),),
        trap=True,
    ),
    case(
        "a gate policy",
        "gate",
        HIGH,
        f(
            "slo-gate.yaml",
            edit(
                "slo-gate.yaml",
                "-     - {above: 25, allow: [low]}\n+     - {above: 10, allow: [low, medium]}",
            ),
            CFG,
        ),
    ),
    case(
        "a migration with the code that uses it",
        "code",
        HIGH,
        f("orders/migrations/0008_order_notes.py", new("orders/migrations/0008_order_notes.py", DJANGO), MIG),
        f("orders/models.py", edit("orders/models.py", "+     notes = models.TextField(blank=True)"), CODE),
    ),
    case(
        "a file moved out of the docs into the code",
        "code",
        MEDIUM,
        f("src/example_client.py", renamed("docs/example_client.py", "src/example_client.py"), CODE),
        f("src/a.py", edit("src/a.py", _code_lines(25, "x")), CODE),
    ),
    case(
        "a deleted file with real code",
        "code",
        MEDIUM,
        f(
            "services/orders/legacy.py",
            deleted("services/orders/legacy.py", "\n".join(f"def f{i}(): return {i}" for i in range(30))),
            CODE,
        ),
    ),
    case(
        "a Makefile deploy target",
        "code",
        MEDIUM,
        f(
            "Makefile",
            edit("Makefile", "| deploy:\n- \tkubectl apply -f k8s/\n+ \tkubectl apply --prune -f k8s/"),
            CODE,
        ),
        miss="a two-line change in a Makefile is a small change; nothing in its name says it deploys",
        got=(LOW, {"Makefile": CODE}),
    ),
)

CASES: tuple[Case, ...] = (*MIGRATIONS, *INFRA, *DELIVERY, *CONTAINERS, *SENSITIVE, *EXEMPT, *DEFAULTS)

# ---- harder cases: what a reviewer sees that the path alone does not say --------------------------------

HARDER = (
    case(
        "an ingress annotation in a chart whose folder has no chart-like name",
        "Helm",
        HIGH,
        f(
            "deploy-config/orders/templates/ingress.yaml",
            edit(
                "deploy-config/orders/templates/ingress.yaml",
                "|   annotations:\n-     nginx.ingress.kubernetes.io/proxy-body-size: 8m\n+     nginx.ingress.kubernetes.io/proxy-body-size: 64m",
            ),
            INF,
        ),
    ),
    case(
        "a chart template whose hunk shows nothing chart-like, known as a chart by its Chart.yaml in the repository",
        "Helm",
        HIGH,
        f(
            "platform/orders/templates/pdb.yaml",
            edit("platform/orders/templates/pdb.yaml", "| spec:\n-   minAvailable: 2\n+   minAvailable: 0"),
            INF,
        ),
        markers=("platform/orders/Chart.yaml",),
    ),
    case(
        "an nginx proxy timeout",
        "nginx",
        HIGH,
        f(
            "nginx/conf.d/orders.conf",
            edit("nginx/conf.d/orders.conf", "-     proxy_read_timeout 60s;\n+     proxy_read_timeout 5s;"),
            INF,
        ),
    ),
    case(
        "a systemd unit",
        "systemd",
        HIGH,
        f(
            "packaging/orders-worker.service",
            edit("packaging/orders-worker.service", "| [Service]\n- Restart=always\n+ Restart=no"),
            INF,
        ),
    ),
    case(
        "a GraphQL schema change",
        "API contracts",
        MEDIUM,
        f(
            "api/schema.graphql",
            edit("api/schema.graphql", "| type Order {\n-   total: Int!\n+   total: Float!"),
            CODE,
        ),
    ),
    case(
        "a protobuf field renumbered",
        "API contracts",
        MEDIUM,
        f(
            "proto/orders/v1/orders.proto",
            edit("proto/orders/v1/orders.proto", "-   string status = 4;\n+   string status = 5;"),
            CODE,
        ),
    ),
    case(
        "a tokenizer is not a token store",
        "code",
        LOW,
        f(
            "src/tokenizer/lexer.py",
            edit(
                "src/tokenizer/lexer.py", "- KEYWORDS = {'if', 'else'}\n+ KEYWORDS = {'if', 'elif', 'else'}"
            ),
            CODE,
        ),
    ),
    case(
        "a style tweak on a login button",
        "auth",
        LOW,
        f(
            "web/src/components/LoginButton.tsx",
            edit(
                "web/src/components/LoginButton.tsx",
                '-   <button className="btn">\n+   <button className="btn btn-lg">',
            ),
            CODE,
        ),
        miss="a `login` word in the file name makes it security-sensitive, so the rules say medium",
        got=(MEDIUM, {"web/src/components/LoginButton.tsx": SEC}),
    ),
    case(
        "a diagram added to the docs",
        "docs",
        LOW,
        f(
            "docs/img/architecture.png",
            "diff --git a/docs/img/architecture.png b/docs/img/architecture.png\nnew file mode 100644\nindex 0000000..1a2b3c4\nBinary files /dev/null and b/docs/img/architecture.png differ\n",
            DOC,
        ),
        miss="a binary file is high wherever it is (its content cannot be reviewed); it stays docs, so the gate still exempts it",
        got=(HIGH, {"docs/img/architecture.png": DOC}),
    ),
    case(
        "an environment sample gains a variable",
        "config",
        LOW,
        f(
            ".env.example",
            edit(".env.example", "| DATABASE_URL=postgres://localhost/orders\n+ ORDERS_PAGE_SIZE=50"),
            CFG,
        ),
    ),
    case(
        "a committed .env file",
        "secrets",
        MEDIUM,
        f(".env.production", edit(".env.production", "- ORDERS_PAGE_SIZE=50\n+ ORDERS_PAGE_SIZE=100"), SEC),
    ),
    case(
        "a GitHub issue template",
        "docs",
        LOW,
        f(
            ".github/ISSUE_TEMPLATE/bug.yml",
            edit(
                ".github/ISSUE_TEMPLATE/bug.yml",
                "-   label: What happened?\n+   label: What happened, and what did you expect?",
            ),
            DOC,
        ),
    ),
    case(
        "Dependabot configuration",
        "config",
        LOW,
        f(
            ".github/dependabot.yml",
            edit(".github/dependabot.yml", '-     interval: "weekly"\n+     interval: "daily"'),
            CFG,
        ),
    ),
)

CASES = (*CASES, *HARDER)

# ---- held out: written after the rules, to see how they fare on cases they were not tuned on -------------

HELD_OUT = (
    case(
        "a SQL migration in internal/database/migrations",
        "held out",
        HIGH,
        f(
            "internal/database/migrations/20240101_create_refunds.sql",
            new(
                "internal/database/migrations/20240101_create_refunds.sql",
                "CREATE TABLE refunds (id bigint);",
            ),
            MIG,
        ),
    ),
    case(
        "a Laravel console kernel tweak",
        "held out",
        LOW,
        f(
            "app/Console/Kernel.php",
            edit(
                "app/Console/Kernel.php",
                "-         $schedule->command('orders:prune')->daily();\n+         $schedule->command('orders:prune')->dailyAt('03:00');",
            ),
            CODE,
        ),
    ),
    case(
        "a Spring production datasource setting",
        "held out",
        MEDIUM,
        f(
            "src/main/resources/application-prod.yml",
            edit(
                "src/main/resources/application-prod.yml",
                "|     hikari:\n-       maximum-pool-size: 20\n+       maximum-pool-size: 5",
            ),
            CFG,
        ),
    ),
    case(
        "a Helm chart lock",
        "held out",
        HIGH,
        f(
            "helm/orders/Chart.lock",
            edit("helm/orders/Chart.lock", "-   version: 12.1.0\n+   version: 12.5.0"),
            INF,
        ),
    ),
    case(
        "a kustomize patch under deployments/",
        "held out",
        HIGH,
        f(
            "deployments/orders/overlays/prod/deployment-patch.yaml",
            edit(
                "deployments/orders/overlays/prod/deployment-patch.yaml", "-   replicas: 4\n+   replicas: 1"
            ),
            INF,
        ),
    ),
    case(
        "a Terraform backend",
        "held out",
        HIGH,
        f(
            "terraform/environments/prod/backend.tf",
            edit(
                "terraform/environments/prod/backend.tf",
                '-     bucket = "acme-tf-prod"\n+     bucket = "acme-tf-staging"',
            ),
            INF,
        ),
    ),
    case(
        "a release workflow",
        "held out",
        HIGH,
        f(
            ".github/workflows/release.yaml",
            edit(
                ".github/workflows/release.yaml",
                "-       - uses: actions/checkout@v3\n+       - uses: actions/checkout@v4",
            ),
            CI,
        ),
    ),
    case(
        "Rails CORS initializer opened to every origin",
        "held out",
        HIGH,
        f(
            "config/initializers/cors.rb",
            edit(
                "config/initializers/cors.rb",
                "|   allow do\n-     origins 'shop.acme.com'\n+     origins '*'",
            ),
            SEC,
        ),
    ),
    case(
        "a Pundit authorization policy",
        "held out",
        MEDIUM,
        f(
            "app/policies/order_policy.rb",
            edit(
                "app/policies/order_policy.rb",
                "|   def refund?\n-     user.admin?\n+     user.admin? || user.support?",
            ),
            SEC,
        ),
    ),
    case(
        "a NestJS guard",
        "held out",
        MEDIUM,
        f(
            "src/guards/admin.guard.ts",
            edit(
                "src/guards/admin.guard.ts",
                "-     return user.roles.includes('admin');\n+     return user.roles.includes('admin') || user.roles.includes('ops');",
            ),
            SEC,
        ),
    ),
    case(
        "a login page",
        "held out",
        MEDIUM,
        f(
            "web/src/pages/login.tsx",
            edit("web/src/pages/login.tsx", "-   <h1>Sign in</h1>\n+   <h1>Log in</h1>"),
            SEC,
        ),
    ),
    case(
        "a data backfill script",
        "held out",
        MEDIUM,
        f(
            "scripts/backfill_order_status.py",
            edit(
                "scripts/backfill_order_status.py",
                "+ cursor.execute(\"UPDATE orders SET status = 'new' WHERE status IS NULL\")",
            ),
            CODE,
        ),
    ),
    case(
        "Alembic's env.py",
        "held out",
        HIGH,
        f(
            "migrations/env.py",
            edit("migrations/env.py", "- target_metadata = None\n+ target_metadata = Base.metadata"),
            MIG,
        ),
    ),
    case(
        "a ConfigMap in a kustomize base",
        "held out",
        HIGH,
        f(
            "k8s/base/configmap.yaml",
            edit("k8s/base/configmap.yaml", "-   LOG_LEVEL: info\n+   LOG_LEVEL: debug"),
            INF,
        ),
    ),
    case(
        "Renovate configuration",
        "held out",
        LOW,
        f(
            "renovate.json",
            edit("renovate.json", '-   "schedule": ["before 6am"]\n+   "schedule": ["before 7am"]'),
            CFG,
        ),
    ),
    case(
        "a stylesheet tweak",
        "held out",
        LOW,
        f("src/App.css", edit("src/App.css", "-   margin: 4px;\n+   margin: 8px;"), CODE),
    ),
    case(
        "a Gradle patch bump",
        "held out",
        LOW,
        f(
            "android/app/build.gradle",
            edit(
                "android/app/build.gradle",
                "-     implementation 'com.squareup.okhttp3:okhttp:4.12.0'\n+     implementation 'com.squareup.okhttp3:okhttp:4.12.1'",
            ),
            DEP,
        ),
    ),
    case(
        "a Maven minor bump",
        "held out",
        MEDIUM,
        f("pom.xml", edit("pom.xml", "-     <version>3.1.0</version>\n+     <version>3.2.0</version>"), DEP),
    ),
    case(
        "a seed file",
        "held out",
        LOW,
        f(
            "db/seeds.rb",
            edit("db/seeds.rb", "- Plan.create!(name: 'free')\n+ Plan.create!(name: 'starter')"),
            CODE,
        ),
    ),
    case(
        "a Go HTTP handler fix",
        "held out",
        LOW,
        f(
            "internal/http/orders.go",
            edit("internal/http/orders.go", '- 	if id == "" {\n+ 	if strings.TrimSpace(id) == "" {'),
            CODE,
        ),
    ),
)

CASES = (*CASES, *HELD_OUT)

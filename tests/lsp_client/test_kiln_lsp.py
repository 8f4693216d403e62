"""`kiln lsp` under a third-party client: pytest-lsp (pygls), which checks every reply
against the protocol and the client's declared capabilities. Run with
`-W error::pytest_lsp.LspSpecificationWarning` (tests/lsp_client.rs does), so a reply
that breaks the spec fails the test.

The server binary is $KILN (set by tests/lsp_client.rs to the one cargo built).
"""

import os
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

KILN = os.environ.get("KILN", "kiln")
URI = "file:///tmp/kiln-pytest-lsp/shop.kiln"

DOC = """// café ☕ — non-ASCII before the names
let tag = "1.4.2"

app shop {
  image = "registry.example.com/shop:${tag}"
  annotations { note = "équipe 😀" }  job migrate { command = ["rails", "db:migrate"] }

  job seed {
    command = ["rails", "db:seed"]
    run     = on_install
    after   = [migrate]
  }

  service web {
    command  = ["rails", "server"]
    port     = 3000
    replicas = 3
    health   = http("/up")
  }
}
"""


def position(text: str, needle: str, delta: int = 0) -> types.Position:
    """The protocol position (UTF-16 column) of `needle` plus `delta` bytes."""
    offset = text.index(needle) + len(needle[:0]) + delta
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    column = len(text[start:offset].encode("utf-16-le")) // 2
    return types.Position(line=line, character=column)


def capabilities(rich: bool) -> types.ClientCapabilities:
    if not rich:
        # The least a client may declare: no snippets, no Markdown.
        return types.ClientCapabilities()
    return types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            completion=types.CompletionClientCapabilities(
                completion_item=types.ClientCompletionItemOptions(
                    snippet_support=True,
                    documentation_format=[types.MarkupKind.Markdown],
                )
            ),
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
                related_information=True, version_support=True
            ),
            document_symbol=types.DocumentSymbolClientCapabilities(
                hierarchical_document_symbol_support=True
            ),
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(
                        value_set=[types.CodeActionKind.QuickFix]
                    )
                )
            ),
        )
    )


def make_fixture(rich: bool):
    @pytest_lsp.fixture(config=ClientServerConfig(server_command=[KILN, "lsp"]))
    async def client(lsp_client: LanguageClient):
        await lsp_client.initialize_session(
            types.InitializeParams(
                capabilities=capabilities(rich),
                initialization_options={"diagnosticsDelayMs": 10},
            )
        )
        yield
        await lsp_client.shutdown_session()

    return client


rich_client = make_fixture(True)
plain_client = make_fixture(False)


async def open_doc(client: LanguageClient, text: str):
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=URI, language_id="kiln", version=1, text=text
            )
        )
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)


def at(text: str, needle: str, delta: int = 0) -> types.TextDocumentPositionParams:
    return dict(
        text_document=types.TextDocumentIdentifier(uri=URI),
        position=position(text, needle, delta),
    )


@pytest.mark.asyncio
async def test_session_with_a_rich_client(rich_client: LanguageClient):
    client = rich_client
    await open_doc(client, DOC)
    assert all(
        d.severity == types.DiagnosticSeverity.Warning for d in client.diagnostics[URI]
    )

    # An edit that introduces an unknown field; the diagnostic and its quick fix.
    start = position(DOC, "replicas")
    end = position(DOC, "replicas", 8)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=start, end=end), text="replicsa"
                )
            ],
        )
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    errors = [d for d in client.diagnostics[URI] if d.code == "K0101"]
    assert len(errors) == 1, client.diagnostics[URI]
    assert errors[0].range.start == start
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            range=errors[0].range,
            context=types.CodeActionContext(diagnostics=errors),
        )
    )
    titles = [a.title for a in actions]
    assert "replace with `replicas`" in titles, titles

    # Back to the original text (a whole-document change).
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=3),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=DOC)],
        )
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert not [d for d in client.diagnostics[URI] if d.code == "K0101"]

    hover = await client.text_document_hover_async(types.HoverParams(**at(DOC, "replicas", 2)))
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert "Deployment.spec.replicas" in hover.contents.value

    items = await client.text_document_completion_async(
        types.CompletionParams(**at(DOC, "on_install"))
    )
    labels = [i.label for i in items.items]
    assert "before_deploy" in labels and "manual" in labels, labels

    items = await client.text_document_completion_async(
        types.CompletionParams(**at(DOC, "[migrate]", 1))
    )
    assert "migrate" in [i.label for i in items.items]

    defs = await client.text_document_definition_async(
        types.DefinitionParams(**at(DOC, "[migrate]", 2))
    )
    assert defs[0].range.start == position(DOC, "migrate {")

    refs = await client.text_document_references_async(
        types.ReferenceParams(
            **at(DOC, "[migrate]", 2),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert len(refs) == 2

    edit = await client.text_document_rename_async(
        types.RenameParams(**at(DOC, "[migrate]", 2), new_name="db-migrate")
    )
    assert len(edit.changes[URI]) == 2

    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=URI))
    )
    shop = next(s for s in symbols if s.name == "shop")
    assert [s.name for s in shop.children] == ["migrate", "seed", "web"]

    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            options=types.FormattingOptions(tab_size=2, insert_spaces=True),
        )
    )
    assert edits, "the two blocks on one line are split"

    yaml = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="kiln.preview", arguments=[URI])
    )
    assert "kind: Deployment" in yaml


@pytest.mark.asyncio
async def test_a_plain_client_gets_no_snippets_or_markdown(plain_client: LanguageClient):
    client = plain_client
    await open_doc(client, DOC)
    text = DOC.replace("    replicas = 3\n", "    replicas = 3\n    \n")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    items = await client.text_document_completion_async(
        types.CompletionParams(**at(text, "    replicas = 3\n    \n", 21))
    )
    labels = [i.label for i in items.items]
    assert "autoscale" in labels and "spread" in labels, labels
    hover = await client.text_document_hover_async(types.HoverParams(**at(DOC, "replicas", 2)))
    assert hover.contents.kind == types.MarkupKind.PlainText
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=URI))
    )
    seed = next(s for s in symbols if s.name == "seed")
    assert seed.container_name == "shop"


SHARED = """// shared: the registry and a web template
let registry = "registry.example.com"

template web(port: port = 3000) service {
  command  = ["run"]
  replicsa = 2
  port     = port
}
"""

APP = """import "./shared.kiln"
import "std/rails"

app shop {
  image = "${registry}/shop:1.4.2"
  service front = web(port = 8080) { }
}
"""


@pytest.mark.asyncio
async def test_imports(rich_client: LanguageClient, tmp_path):
    """An error in an imported file is published on that file; the import says so; the
    import path completes, hovers and goes to the file."""
    client = rich_client
    (tmp_path / "shared.kiln").write_text(SHARED)
    (tmp_path / "app.kiln").write_text(APP)
    app_uri = (tmp_path / "app.kiln").resolve().as_uri()
    shared_uri = (tmp_path / "shared.kiln").resolve().as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=app_uri, language_id="kiln", version=1, text=APP
            )
        )
    )
    for _ in range(20):
        if shared_uri in client.diagnostics and app_uri in client.diagnostics:
            break
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert [d.code for d in client.diagnostics[shared_uri]] == ["K0101"]
    assert client.diagnostics[shared_uri][0].range.start == position(SHARED, "replicsa")
    pointer = next(d for d in client.diagnostics[app_uri] if d.code is None)
    assert pointer.message == "`./shared.kiln` has 1 error"
    assert pointer.related_information[0].location.uri == shared_uri

    def at_app(needle: str, delta: int = 0):
        return dict(
            text_document=types.TextDocumentIdentifier(uri=app_uri),
            position=position(APP, needle, delta),
        )

    items = await client.text_document_completion_async(
        types.CompletionParams(**at_app("./shared", 2))
    )
    assert "./shared.kiln" in [i.label for i in items.items]
    hover = await client.text_document_hover_async(types.HoverParams(**at_app("std/rails", 3)))
    assert "standard module" in hover.contents.value
    defs = await client.text_document_definition_async(
        types.DefinitionParams(**at_app("shared.kiln", 1))
    )
    assert defs.uri == shared_uri

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

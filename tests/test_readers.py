import gzip
import io
import json
from pathlib import Path

import pytest
from pypdf import PdfWriter

from indexer.language import split_sections
from indexer.readers import iter_raw_records
from indexer.records import BadRecord, RawRecord


def read(*paths: Path | str) -> list[RawRecord | BadRecord]:
    return list(iter_raw_records(list(paths)))


def good(items: list[RawRecord | BadRecord]) -> list[RawRecord]:
    return [r for r in items if isinstance(r, RawRecord)]


def bad(items: list[RawRecord | BadRecord]) -> list[BadRecord]:
    return [r for r in items if isinstance(r, BadRecord)]


def jsonl(*rows: object) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()


# --- JSONL -----------------------------------------------------------------------------------


def test_jsonl_records_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf"  # a BOM on the first line is allowed
        + jsonl({"id": "a1", "body": "Päätös"})
        + b"\n   \n"  # blank lines are skipped but counted
        + jsonl({"id": "a2", "title": None, "body": "Beslut"})
    )
    records = read(path)
    assert records == [
        RawRecord({"id": "a1", "body": "Päätös"}, str(path), 1),
        RawRecord({"id": "a2", "title": None, "body": "Beslut"}, str(path), 4),
    ]
    assert not records[0].is_page
    assert records[1].origin == f"{path}:4"


def test_jsonl_bad_lines_reported_and_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        jsonl({"id": "ok1"})
        + b'{"id": "broken", \n'
        + b'["a", "list"]\n'
        + b'"just a string"\n'
        + b'{"id": "latin1", "body": "K\xe4ytt\xf6"}\n'
        + b"null\n"
        + jsonl({"id": "ok2"})
    )
    items = read(path)
    assert [(r.fields["id"], r.line) for r in good(items)] == [("ok1", 1), ("ok2", 7)]
    problems = [(b.path, b.line) for b in bad(items)]
    assert problems == [
        (str(path), 2),
        (str(path), 3),
        (str(path), 4),
        (str(path), 5),
        (str(path), 6),
    ]
    reasons = [b.reason for b in bad(items)]
    assert reasons[0].startswith("invalid JSON")
    assert reasons[1] == "not a JSON object (found list)"
    assert reasons[2] == "not a JSON object (found str)"
    assert reasons[3] == "not UTF-8 text (byte 0xe4 at column 28)"
    assert reasons[4] == "not a JSON object (found null)"
    # order is kept: ok1, the bad lines, ok2
    assert [type(r).__name__ for r in items] == ["RawRecord"] + ["BadRecord"] * 5 + ["RawRecord"]


def test_jsonl_gz(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl.gz"
    path.write_bytes(gzip.compress(jsonl({"id": "g1", "body": "å"}, {"id": "g2"})))
    assert [(r.fields["id"], r.line) for r in good(read(path))] == [("g1", 1), ("g2", 2)]


def test_jsonl_gz_truncated(tmp_path: Path) -> None:
    rows = [{"id": f"r{i}", "body": f"record number {i} " * 5} for i in range(3000)]
    data = gzip.compress(jsonl(*rows))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    items = read(path)
    records, problems = good(items), bad(items)
    assert len(records) > 100
    assert [r.fields["id"] for r in records] == [f"r{i}" for i in range(len(records))]
    assert items[-1] is problems[0] and len(problems) == 1
    assert problems[0].line == len(records) + 1
    assert "truncated" in problems[0].reason


def test_jsonl_gz_not_gzip(tmp_path: Path) -> None:
    path = tmp_path / "plain.jsonl.gz"
    path.write_bytes(jsonl({"id": "x"}))
    (problem,) = read(path)
    assert isinstance(problem, BadRecord)
    assert (problem.path, problem.line) == (str(path), 1)
    assert "not a gzip file" in problem.reason


def test_folder_defaults_fill_missing_and_null_jsonl_fields(tmp_path: Path) -> None:
    (tmp_path / "folder.meta.json").write_text(
        json.dumps({"organization": "Helsingin kaupunki", "doc_type": "decision"})
    )
    (tmp_path / "r.jsonl").write_bytes(
        jsonl(
            {"id": "1", "organization": None},
            {"id": "2", "organization": "Tarkastuslautakunta", "doc_type": "assessment"},
        )
    )
    first, second = good(read(tmp_path))
    assert first.fields == {"id": "1", "organization": "Helsingin kaupunki", "doc_type": "decision"}
    assert second.fields == {
        "id": "2",
        "organization": "Tarkastuslautakunta",
        "doc_type": "assessment",
    }


# --- walking, text pages, defaults -----------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    (problem,) = read(missing)
    assert isinstance(problem, BadRecord)
    assert (problem.path, problem.line, problem.reason) == (
        str(missing),
        None,
        "no such file or folder",
    )


def test_walk_order_hidden_and_non_record_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("Zeta\n")
    (tmp_path / "b" / "a.txt").write_text("Alpha\n")
    (tmp_path / "a.txt").write_text("Root page\n")
    (tmp_path / "c.jsonl").write_bytes(jsonl({"id": "c1"}))
    (tmp_path / ".hidden.txt").write_text("hidden\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_text("hidden too\n")
    for name in ("README.md", "vocabulary.json", "a.meta.json", "notes.docx", "data.csv"):
        (tmp_path / name).write_text("{}")
    items = read(tmp_path)
    assert bad(items) == []
    assert [r.fields["id"] for r in items] == ["file:a", "file:b/a", "file:b/z", "c1"]
    assert [r.is_page for r in items] == [True, True, True, False]


def test_txt_page_fields(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    text = "/\n/\n\nKommunernas anhörigstöd - Utvecklingsläget 2007\r\n\r\nSammanfattning\r\n"
    (folder / "002_seed.txt").write_bytes(text.encode("utf-8"))
    (record,) = read(tmp_path)
    assert isinstance(record, RawRecord)
    assert record.is_page and record.line is None
    assert record.path == str(folder / "002_seed.txt")
    assert record.fields == {
        "id": "file:pages/002_seed",
        # the first line with a letter in it: scrapers leave "/" lines behind
        "title": "Kommunernas anhörigstöd - Utvecklingsläget 2007",
        "body": "/\n/\n\nKommunernas anhörigstöd - Utvecklingsläget 2007\n\nSammanfattning\n",
    }


def test_file_given_directly_gets_id_from_its_name(tmp_path: Path) -> None:
    (tmp_path / "folder.meta.json").write_text('{"doc_type": "assessment"}')
    path = tmp_path / "report.txt"
    path.write_text("Title line\n\nBody.")
    (record,) = read(path)
    assert record.fields["id"] == "file:report"
    assert record.fields["doc_type"] == "assessment"


def test_long_first_line_title_is_trimmed(tmp_path: Path) -> None:
    line = "Svar på den av ledamot Hukari och ledamot Skaffari samt 29 andra ledamöter " * 5
    (tmp_path / "long.txt").write_text(line + "\n\nBody")
    (record,) = read(tmp_path)
    title = record.fields["title"]
    assert title.endswith("…")
    assert 100 < len(title) <= 201
    assert line.startswith(title[:-1])


def test_defaults_precedence(tmp_path: Path) -> None:
    (tmp_path / "folder.meta.json").write_text(
        json.dumps({"organization": "City", "doc_type": "report", "division": "Root division"})
    )
    sub = tmp_path / "audit" / "2024"
    sub.mkdir(parents=True)
    (tmp_path / "audit" / "folder.meta.json").write_text(
        json.dumps({"organization": "Audit Committee", "division": None})
    )
    (sub / "folder.meta.json").write_text(json.dumps({"doc_type": "assessment"}))
    (sub / "p1.txt").write_text("First page\n\nText one.")
    (sub / "p1.meta.json").write_text(
        json.dumps(
            {
                "doc_type": "evaluation_report",
                "title": "Title from sidecar",
                "id": "custom-id",
                "url": "https://example.org/p1",
                "language": None,
            }
        )
    )
    (sub / "p2.txt").write_text("Second page\n\nText two.")
    (tmp_path / "top.txt").write_text("Top page")
    items = read(tmp_path)
    assert bad(items) == []
    by_id = {r.fields["id"]: r.fields for r in items}
    assert by_id["custom-id"] == {
        "id": "custom-id",  # the sidecar overrides what is derived from the file
        "title": "Title from sidecar",
        "organization": "Audit Committee",  # the nearest folder wins ...
        "division": "Root division",  # ... but a null there does not erase a default
        "doc_type": "evaluation_report",  # the sidecar beats every folder
        "url": "https://example.org/p1",
        "body": "First page\n\nText one.",
    }
    assert by_id["file:audit/2024/p2"] == {
        "id": "file:audit/2024/p2",
        "title": "Second page",
        "organization": "Audit Committee",
        "division": "Root division",
        "doc_type": "assessment",
        "body": "Second page\n\nText two.",
    }
    assert by_id["file:top"]["doc_type"] == "report"
    assert by_id["file:top"]["organization"] == "City"


def test_derived_fields_are_weakest(tmp_path: Path) -> None:
    # What is derived from the file only fills in: folder defaults and sidecars override it.
    (tmp_path / "folder.meta.json").write_text('{"title": "Folder title", "body": "ignored"}')
    (tmp_path / "a.txt").write_text("First line\n\nText")
    (record,) = read(tmp_path)
    assert record.fields == {"id": "file:a", "title": "Folder title", "body": "First line\n\nText"}


def test_bad_sidecar_and_bad_folder_defaults(tmp_path: Path) -> None:
    (tmp_path / "folder.meta.json").write_text("{not json")
    (tmp_path / "a.txt").write_text("Page A")
    (tmp_path / "a.meta.json").write_text('["not", "an", "object"]')
    (tmp_path / "b.txt").write_text("Page B")
    items = read(tmp_path)
    problems = bad(items)
    assert [(Path(p.path).name, p.line) for p in problems] == [
        ("folder.meta.json", None),
        ("a.txt", None),
    ]
    assert "folder defaults ignored" in problems[0].reason
    assert problems[1].reason == "bad sidecar: a.meta.json is not a JSON object"
    assert [r.fields for r in good(items)] == [
        {"id": "file:b", "title": "Page B", "body": "Page B"}
    ]


@pytest.mark.parametrize(
    ("data", "body"),
    [
        (b"\xef\xbb\xbfRubrik\n\nText", "Rubrik\n\nText"),
        ("\ufeffOtsikko\r\n\r\nTeksti äö".encode("utf-16-le"), "Otsikko\n\nTeksti äö"),
        ("\ufeffOtsikko\n\nTeksti äö".encode("utf-16-be"), "Otsikko\n\nTeksti äö"),
    ],
)
def test_txt_encodings(tmp_path: Path, data: bytes, body: str) -> None:
    (tmp_path / "page.txt").write_bytes(data)
    (record,) = read(tmp_path)
    assert isinstance(record, RawRecord)
    assert record.fields["body"] == body


def test_txt_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Otsikko\n\nKäyttö ja ylläpito".encode("latin-1"))
    (tmp_path / "ok.txt").write_text("Fine")
    first, second = read(tmp_path)
    assert isinstance(first, BadRecord)
    assert (first.path, first.line) == (str(path), None)
    assert first.reason == "not UTF-8 text (byte 0xe4 at line 3, column 2)"
    assert isinstance(second, RawRecord) and second.fields["body"] == "Fine"


def test_seeds_folder(seed_dir: Path) -> None:
    records = read(seed_dir)
    assert all(isinstance(r, RawRecord) and r.is_page for r in records)
    assert [r.fields["id"] for r in records] == [
        "file:000_e5ce6d2af453161b",
        "file:001_ccc618685df0d0c3",
        "file:002_9a121b0bd461c2d0",
        "file:003_ec58a30cbbd91bde",
        "file:004_d5eb1f4dc494206e",
    ]
    titles = [r.fields["title"] for r in records]
    assert titles[1] == "Välfärdsområdesfullmäktige 28.4.2026"
    assert titles[2] == "Kommunernas anhörigstöd - Utvecklingsläget 2007"
    assert records[3].fields["body"] == (seed_dir / "003_ec58a30cbbd91bde.txt").read_text()


# --- HTML ------------------------------------------------------------------------------------

HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Social guidance for families with children | Evaluation report 2023</title>
<style>.cookie-banner { position: fixed; bottom: 0 }</style>
<script>window.dataLayer = window.dataLayer || [];
function gtag(){dataLayer.push(arguments);}</script>
</head>
<body>
<div id="cookie-consent" class="cookie-banner" role="dialog">
  <p>This website uses cookies to improve the user experience. Cookies help us analyse how the
  site is used and show you relevant content.</p>
  <button>Accept all cookies</button> <button>Accept only essential cookies</button>
</div>
<header class="site-header">
  <a href="/" class="logo">City of Helsinki</a>
  <nav class="main-menu" aria-label="Main navigation">
    <ul><li><a href="/en">Home</a></li><li><a href="/en/assessments">Assessments</a></li>
    <li><a href="/en/audit-committee">Audit Committee</a></li>
    <li><a href="/fi">Suomeksi</a></li></ul>
  </nav>
  <form class="search-form" action="/search"><input type="search" name="q">
  <button>Search</button></form>
</header>
<nav class="breadcrumb"><a href="/en">Front page</a> &gt;
  <a href="/en/assessments">Assessments</a></nav>
<main id="main-content">
<article class="node node--type-article">
  <h1>Social guidance for families with children</h1>
  <h2>The goal of the assessment</h2>
  <p>The assessment's main question was whether the availability of social guidance for
  families with children has been improved and its activities developed in accordance with the
  strategy and budget objectives.</p>
  <p>The assessment found that the availability of social guidance for families with children
  has been improved, and its activities have been developed in accordance with the City Strategy
  and budget objectives.</p>
  <h2>The Audit Committee concludes that</h2>
  <ul>
    <li>the division should develop services for families with children as a whole.</li>
    <li>the division should ensure the availability of staff through adequate measures.</li>
  </ul>
</article>
<section class="feedback-block">
  <form class="helpfulness-form" action="/feedback">
    <h2>Was this page useful?</h2>
    <button name="useful" value="yes">Yes</button>
    <button name="useful" value="no">No</button>
  </form>
</section>
<section id="comments" class="comments">
  <h2>Comments</h2>
  <article class="comment js-comment">
    <footer class="comment__meta"><span class="comment__author">Anonymous (not verified)</span>
    <span class="comment__time">Mon, 04/29/2024 - 08:51</span></footer>
    <div class="comment__content">
      <p>Rajapintatyöskentelyä ja moniammatillista yhteistyötä toimialojen välillä tulisi
      luovasti kehittää. Esimerkiksi varhaiskasvatus on hedelmällinen kenttä
      ennaltaehkäisevälle työlle.</p>
      <p>Varhaiskasvatuksen kuraattorin tehtäväkuvaa tulisi laajentaa koskemaan kaikkia
      varhaiskasvatusikäisiä.</p>
    </div>
  </article>
  <article class="comment js-comment">
    <footer class="comment__meta"><span class="comment__author">Timo Cantell</span>
    <span class="comment__time">Tue, 04/30/2024 - 08:08</span></footer>
    <div class="comment__content"><p>Kiitos kommentistasi arviointikertomussivustolle!</p></div>
  </article>
  <h2>Add new comment</h2>
  <form class="comment-form" action="/comment/reply">
    <label>Your name</label><input type="text" name="name">
    <label>Comment</label><textarea name="comment"></textarea>
    <div class="filter-guidelines">Restricted HTML. Allowed HTML tags: &lt;a href&gt; &lt;em&gt;.
    Lines and paragraphs break automatically.</div>
    <button type="submit">Save</button>
  </form>
</section>
</main>
<footer class="site-footer">
  <p>City of Helsinki, PO Box 1, 00099 City of Helsinki. Switchboard 09 310 1641</p>
  <ul><li><a href="/en/accessibility">Accessibility statement</a></li>
  <li><a href="/en/cookies">Cookie settings</a></li></ul>
</footer>
<script src="/js/app.js"></script>
</body>
</html>
"""


def test_html_main_text_and_comments(tmp_path: Path) -> None:
    (tmp_path / "guidance.html").write_text(HTML_PAGE, encoding="utf-8")
    (record,) = read(tmp_path)
    assert isinstance(record, RawRecord) and record.is_page
    fields = record.fields
    assert fields["id"] == "file:guidance"
    assert fields["title"] == "Social guidance for families with children"
    body = fields["body"]
    paragraphs = body.split("\n\n")
    assert paragraphs[:3] == [
        "Social guidance for families with children",
        "The goal of the assessment",
        "The assessment's main question was whether the availability of social guidance for "
        "families with children has been improved and its activities developed in accordance "
        "with the strategy and budget objectives.",
    ]
    assert (
        "- the division should develop services for families with children as a whole.\n"
        "- the division should ensure the availability of staff through adequate measures."
    ) in paragraphs
    # readers' comments are content
    assert paragraphs[-1] == "Kiitos kommentistasi arviointikertomussivustolle!"
    assert "Varhaiskasvatuksen kuraattorin tehtäväkuvaa" in body
    # furniture is not
    for furniture in (
        "cookies",
        "Accept",
        "Main navigation",
        "Assessments",
        "Suomeksi",
        "Front page",
        "Search",
        "Was this page useful",
        "Yes",
        "Add new comment",
        "Your name",
        "Allowed HTML tags",
        "Save",
        "PO Box",
        "Accessibility statement",
        "dataLayer",
        "position: fixed",
    ):
        assert furniture not in body
    assert [s.language for s in split_sections(body)] == ["en", "fi"]


def test_html_feedback_furniture_without_telltale_markup(tmp_path: Path) -> None:
    text = "Tarkastuslautakunta arvioi sosiaaliohjauksen saatavuutta lapsiperheille. " * 4
    html = (
        "<html><head><title>Arviointi</title></head><body><main><article><h1>Arviointi</h1>"
        f"<p>{text}</p><p>{text.replace('arvioi', 'totesi')}</p>"
        "<div class='box'><p>Oliko tästä sivusta hyötyä?</p>"
        "<p><a href='?y'>Kyllä</a></p><p><a href='?n'>Ei</a></p></div>"
        "<h3>Were the contents of this article useful to you?</h3><p>Add new comment</p>"
        "<p>Var sidan till hjälp?</p></article></main></body></html>"
    )
    (tmp_path / "a.html").write_text(html, encoding="utf-8")
    (record,) = read(tmp_path)
    assert record.fields["body"] == "\n\n".join(
        ["Arviointi", text.strip(), text.replace("arvioi", "totesi").strip()]
    )


def test_html_inline_markup_lists_and_tables(tmp_path: Path) -> None:
    filler = "Toinen kappale, jossa on tarpeeksi tekstiä pääalgoritmille. " * 5
    html = (
        "<html><head><title>Taulukko</title></head><body><main><article>"
        "<p>Tämä on <b>lihava <i>kursiivi</i> teksti</b> ja loppu.<br>Rivi kaksi.</p>"
        f"<p>{filler}</p><ul><li>yksi <b>kaksi</b> kolme</li><li>neljä</li></ul>"
        "<table><tr><th>Vuosi</th><th>Euroa</th></tr><tr><td>2023</td><td>250 000</td></tr>"
        "</table></article></main></body></html>"
    )
    (tmp_path / "t.html").write_text(html, encoding="utf-8")
    (record,) = read(tmp_path)
    assert record.fields["body"].split("\n\n") == [
        "Tämä on lihava kursiivi teksti ja loppu.\nRivi kaksi.",
        filler.strip(),
        "- yksi kaksi kolme\n- neljä",
        "Vuosi | Euroa\n2023 | 250 000",
    ]


def test_html_short_page_falls_back_to_plain_text(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Lyhyt sivu</title></head><body>"
        "<header><a href='/'>Etusivu</a></header><nav><a href='/a'>Valikko</a></nav>"
        "<div>Ensimmäinen kappale.<br>Toinen rivi.</div><p>Toinen kappale.</p>"
        "<form><input name='q'><button>Hae</button></form><footer>Alatunniste</footer>"
        "<script>var x = 1;</script></body></html>"
    )
    (tmp_path / "short.htm").write_text(html, encoding="utf-8")
    (record,) = read(tmp_path)
    assert record.fields["title"] == "Lyhyt sivu"
    assert record.fields["body"] == "Ensimmäinen kappale.\nToinen rivi.\n\nToinen kappale."


def test_html_declared_charset_and_undecodable(tmp_path: Path) -> None:
    latin = '<html><head><meta charset="iso-8859-1"><title>Käyttö</title></head><body><p>Hyvä.</p>'
    (tmp_path / "a.html").write_bytes(latin.encode("latin-1"))
    (tmp_path / "b.html").write_bytes("<html><body><p>Hyvä</p></body></html>".encode("latin-1"))
    first, second = read(tmp_path)
    assert isinstance(first, RawRecord)
    assert first.fields["title"] == "Käyttö" and first.fields["body"] == "Hyvä."
    assert isinstance(second, BadRecord)
    assert second.reason.startswith("not UTF-8 text (byte 0xe4")


# --- PDF -------------------------------------------------------------------------------------


def make_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A minimal PDF with a Helvetica text layer: one list of lines per page."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    pages_id = add(b"")
    kids = []
    for lines in pages:
        ops = [b"BT /F1 12 Tf 72 720 Td 14 TL"]
        for line in lines:
            raw = line.encode("cp1252")
            raw = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
            ops.append(b"(" + raw + b") Tj T*")
        ops.append(b"ET")
        stream = b"\n".join(ops)
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (pages_id, font, content)
            )
        )
    refs = b" ".join(b"%d 0 R" % kid for kid in kids)
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (refs, len(kids))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    info = add(b"<< /Title (%s) >>" % title.encode("cp1252")) if title else None
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, catalog)
    if info:
        trailer += b" /Info %d 0 R" % info
    out += b"trailer\n%s >>\nstartxref\n%d\n%%%%EOF\n" % (trailer, xref)
    return bytes(out)


def test_pdf_text_layer(tmp_path: Path) -> None:
    data = make_pdf(
        [
            ["Arviointikertomus 2023", "Sosiaaliohjaus lapsiperheille parani."],
            ["Välfärdsområdet ökar stödet (2024)."],
        ],
        title="Evaluation report 2023",
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "report.pdf").write_bytes(data)
    (tmp_path / "docs" / "report.meta.json").write_text('{"organization": "Helsinki"}')
    (record,) = read(tmp_path)
    assert isinstance(record, RawRecord) and record.is_page and record.line is None
    assert record.fields == {
        "id": "file:docs/report",
        "title": "Evaluation report 2023",
        "organization": "Helsinki",
        "body": "Arviointikertomus 2023\nSosiaaliohjaus lapsiperheille parani.\n\n"
        "Välfärdsområdet ökar stödet (2024).",
    }


def test_pdf_title_falls_back_to_first_line(tmp_path: Path) -> None:
    data = make_pdf([["Tarkastuslautakunnan raportti", "Teksti."]], title="Microsoft Word - r.docx")
    (tmp_path / "r.pdf").write_bytes(data)
    (record,) = read(tmp_path)
    assert record.fields["title"] == "Tarkastuslautakunnan raportti"


def _pypdf_bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_pdf_problems(tmp_path: Path) -> None:
    blank = PdfWriter()
    blank.add_blank_page(612, 792)
    (tmp_path / "a_scanned.pdf").write_bytes(_pypdf_bytes(blank))

    locked = PdfWriter(clone_from=io.BytesIO(make_pdf([["Salainen teksti"]])))
    locked.encrypt("secret")
    (tmp_path / "b_locked.pdf").write_bytes(_pypdf_bytes(locked))

    open_ = PdfWriter(clone_from=io.BytesIO(make_pdf([["Avoin teksti"]])))
    open_.encrypt("", owner_password="owner")  # encrypted, but the empty password opens it
    (tmp_path / "c_open.pdf").write_bytes(_pypdf_bytes(open_))

    (tmp_path / "d_broken.pdf").write_bytes(b"<html>not a pdf</html>")

    scanned, locked_bad, opened, broken = read(tmp_path)
    assert isinstance(scanned, BadRecord) and scanned.line is None
    assert scanned.path == str(tmp_path / "a_scanned.pdf")
    assert "no text layer" in scanned.reason
    assert isinstance(locked_bad, BadRecord)
    assert locked_bad.reason == "encrypted PDF that needs a password"
    assert isinstance(opened, RawRecord) and opened.fields["body"] == "Avoin teksti"
    assert isinstance(broken, BadRecord) and broken.reason.startswith("cannot read PDF")

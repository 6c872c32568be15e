"""Splitting articles into passages along their headings.

A passage that crosses two sections answers neither question well, so the
Markdown header splitter cuts at headings first; the recursive splitter then
cuts long sections at paragraph, then sentence boundaries, to fit the
embedding model's window. Each chunk remembers its article title and section
path; both are prepended to the text that gets embedded and keyword-indexed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from index.articles import Article

HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]
SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]
# Characters per model token for French text under an English WordPiece
# vocabulary, measured on the content folder: about 3; 2.4 leaves headroom for
# the title and section prefix.
CHARS_PER_TOKEN = 2.4


@dataclass(frozen=True)
class Chunk:
    """One passage of an article: the unit that is embedded and retrieved."""

    id: str
    source: str
    title: str
    section: str | None
    text: str
    url: str | None = None
    lang: str = "fr"
    position: int = 0

    @property
    def embedding_text(self) -> str:
        """What the model and the keyword index see: title, section, then text."""
        head = self.title if not self.section else f"{self.title} — {self.section}"
        return f"{head}\n{self.text}"

    def to_dict(self) -> dict:
        # Every field is a plain value: a shallow dict, much cheaper than dataclasses.asdict's deep copy.
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict) -> Chunk:
        return cls(**data)


def chunk_size_for_model(requested_chars: int, max_seq_length: int | None) -> int:
    """Cap the chunk size so that a chunk and its prefix fit the model's window."""
    if not max_seq_length:
        return requested_chars
    return max(120, min(requested_chars, int(max_seq_length * CHARS_PER_TOKEN)))


def chunk_article(article: Article, chunk_chars: int, chunk_overlap: int) -> list[Chunk]:
    """Split one article into chunks that keep their section path."""
    # Imported here: langchain costs a third of a second that `index stats` need not pay.
    from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

    header_splitter = MarkdownHeaderTextSplitter(HEADERS, strip_headers=True)
    recursive = RecursiveCharacterTextSplitter(
        chunk_size=chunk_chars,
        chunk_overlap=min(chunk_overlap, chunk_chars // 2),
        separators=SEPARATORS,
        keep_separator="end",
        strip_whitespace=True,
    )
    chunks: list[Chunk] = []
    for doc in header_splitter.split_text(article.body):
        path = [doc.metadata[key] for _, key in HEADERS if doc.metadata.get(key)]
        # A top-level heading that repeats the article title adds nothing.
        if path and path[0] == article.title:
            path = path[1:]
        section = " > ".join(path) or None
        for piece in recursive.split_text(doc.page_content):
            text = piece.strip()
            if not any(ch.isalnum() for ch in text):
                continue
            chunks.append(
                Chunk(
                    id=f"{article.source}#{len(chunks)}",
                    source=article.source,
                    title=article.title,
                    section=section,
                    text=text,
                    url=article.url,
                    lang=article.lang,
                    position=len(chunks),
                )
            )
    return chunks

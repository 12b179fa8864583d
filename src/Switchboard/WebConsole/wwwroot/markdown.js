"use strict";
// Markdown for model answers, built as DOM nodes with textContent only: no string ever becomes HTML, so an answer
// holding <script> or <img onerror=…> shows those characters and nothing runs. Covers what chat answers use:
// fenced code, headings, lists, paragraphs, **bold**, *emphasis*, `code` and http(s) links. Rendered again as
// each piece streams in; an unclosed fence shows as code while it grows.
window.renderMarkdown = function (text, into) {
  const root = document.createDocumentFragment();
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  let paragraph = [];
  const flush = () => {
    if (paragraph.length) {
      const p = document.createElement("p");
      inline(paragraph.join("\n"), p);
      root.appendChild(p);
      paragraph = [];
    }
  };
  while (i < lines.length) {
    const line = lines[i];
    const fence = /^\s*```\s*([\w+#.-]*)\s*$/.exec(line);
    if (fence) {
      flush();
      const pre = document.createElement("pre");
      const code = document.createElement("code");
      if (fence[1]) code.dataset.lang = fence[1];
      const body = [];
      i++;
      while (i < lines.length && !/^\s*```\s*$/.test(lines[i])) body.push(lines[i++]);
      i++;
      code.textContent = body.join("\n");
      pre.appendChild(code);
      root.appendChild(pre);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      const h = document.createElement("h" + Math.min(6, heading[1].length + 2));
      inline(heading[2], h);
      root.appendChild(h);
      i++;
      continue;
    }
    const item = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (item) {
      flush();
      const ordered = /\d/.test(item[1]);
      const list = document.createElement(ordered ? "ol" : "ul");
      while (i < lines.length) {
        const next = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(lines[i]);
        if (!next || /\d/.test(next[1]) !== ordered) break;
        const li = document.createElement("li");
        inline(next[2], li);
        list.appendChild(li);
        i++;
      }
      root.appendChild(list);
      continue;
    }
    if (line.trim() === "") flush(); else paragraph.push(line);
    i++;
  }
  flush();
  into.replaceChildren(root);

  function inline(source, parent) {
    const pattern = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*)|(\[[^\]]+\]\((https?:\/\/[^)\s]+)\))/g;
    let last = 0;
    for (const match of source.matchAll(pattern)) {
      if (match.index > last) parent.appendChild(document.createTextNode(source.slice(last, match.index)));
      const token = match[0];
      let node;
      if (match[1]) { node = document.createElement("code"); node.textContent = token.slice(1, -1); }
      else if (match[2]) { node = document.createElement("strong"); node.textContent = token.slice(2, -2); }
      else if (match[3]) { node = document.createElement("em"); node.textContent = token.slice(1, -1); }
      else {
        node = document.createElement("a");
        node.textContent = token.slice(1, token.indexOf("]("));
        node.href = match[5];
        node.rel = "noopener noreferrer";
        node.target = "_blank";
      }
      parent.appendChild(node);
      last = match.index + token.length;
    }
    if (last < source.length) parent.appendChild(document.createTextNode(source.slice(last)));
  }
};

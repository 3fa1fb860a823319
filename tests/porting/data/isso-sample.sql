-- An Isso database, written for the tests. The tables are Isso's own (isso/db/threads.py,
-- comments.py and preferences.py, Isso 0.13), so the reader meets the real schema.

CREATE TABLE IF NOT EXISTS preferences (
   key VARCHAR PRIMARY KEY, value VARCHAR
);
CREATE TABLE IF NOT EXISTS threads (
    id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE IF NOT EXISTS comments (
    tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER,
    created FLOAT NOT NULL, modified FLOAT, mode INTEGER, remote_addr VARCHAR,
    text VARCHAR, author VARCHAR, email VARCHAR, website VARCHAR,
    likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB NOT NULL,
    notification INTEGER DEFAULT 0);
CREATE TRIGGER IF NOT EXISTS remove_stale_threads AFTER DELETE ON comments BEGIN     DELETE FROM threads WHERE id NOT IN (SELECT tid FROM comments); END;
PRAGMA user_version = 3;

INSERT INTO preferences (key, value) VALUES ('session-key', '6b1d7e0f3c9a4f2e8d7c6b5a49382716');

INSERT INTO threads (id, uri, title) VALUES (1, '/2019/05/hello-world/', 'Hello, world');
INSERT INTO threads (id, uri, title) VALUES (2, '/about/', NULL);
INSERT INTO threads (id, uri, title) VALUES (3, '', 'A page without a uri');
INSERT INTO threads (id, uri, title) VALUES (4, '/2019/07/quiet/', 'Nobody commented');
INSERT INTO threads (id, uri, title) VALUES (5, '/2019/06/caf%C3%A9-cr%C3%A8me/', 'Café & crème');

-- Isso keeps one level of replies: a reply to a reply is stored under the top-level comment.
-- Times are seconds since the epoch: 1556705700 is 2019-05-01 10:15:00 UTC.
INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text, author, email, website, likes, dislikes, voters, notification)
VALUES (1, 1, NULL, 1556705700.0, NULL, 1, '203.0.113.0', 'First! **Lovely** write-up.', 'Ana Lima', 'ana@example.org', 'https://ana.example.org/', 3, 0, X'00', 1);
INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text, author, email, website, likes, dislikes, voters, notification)
VALUES (1, 2, 1, 1556708400.25, 1556712000.5, 1, '203.0.113.0', 'Second, edited later.', 'Zoë Ångström', NULL, NULL, 1, 2, X'00', 0);
INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text, author, email, website, likes, dislikes, voters, notification)
VALUES (1, 3, 1, 1556712000.0, NULL, 2, '203.0.113.0', 'Waiting for a moderator.', 'Bo Berg', 'bo@example.net', NULL, 0, 0, X'00', 0);
-- Deleted with a reply: Isso blanks the text, author and website and keeps the row.
INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text, author, email, website, likes, dislikes, voters, notification)
VALUES (1, 4, NULL, 1556784000.0, NULL, 4, '203.0.113.0', '', NULL, 'carl@example.com', NULL, 0, 0, X'00', 0);
INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text, author, email, website, likes, dislikes, voters, notification)
VALUES (1, 5, 4, 1556789400.0, NULL, 1, '203.0.113.0', 'What did Carl say?', '山田太郎', NULL, NULL, 0, 0, X'00', 0);
-- Not one of Isso's modes (1, 2, 4).
INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text, author, email, website, likes, dislikes, voters, notification)
VALUES (1, 6, NULL, 1556877600.0, NULL, 8, '203.0.113.0', 'Is this spam? Nobody knows.', 'Dana', 'dana@example.org', NULL, 0, 0, X'00', 0);
-- Markdown is stored as typed: raw HTML in it must not survive our pipeline.
INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text, author, email, website, likes, dislikes, voters, notification)
VALUES (5, 7, NULL, 1559462400.0, NULL, 1, '203.0.113.0', 'Nice photo <img src="x" onerror="alert(''img'')"> <script>alert("md")</script> [click me](javascript:alert(1))', 'Mallory', 'mallory@example.com', 'javascript:alert(''url'')', 0, 0, X'00', 0);
INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text, author, email, website, likes, dislikes, voters, notification)
VALUES (5, 8, 7, 1559466000.0, NULL, 1, '203.0.113.0', 'Caf&eacute; &amp; cr&egrave;me &lt;script&gt;alert("entity")&lt;/script&gt;', 'Élodie', NULL, NULL, 0, 0, X'00', 0);
-- A time that is not a number.
INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text, author, email, website, likes, dislikes, voters, notification)
VALUES (1, 9, NULL, 'yesterday', NULL, 1, '203.0.113.0', 'Posted at an impossible time.', 'Time Traveller', NULL, NULL, 0, 0, X'00', 0);
-- Its thread is gone.
INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text, author, email, website, likes, dislikes, voters, notification)
VALUES (99, 10, NULL, 1556960400.0, NULL, 1, '203.0.113.0', 'Where am I?', 'Gil', 'gil@example.org', NULL, 0, 0, X'00', 0);
INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text, author, email, website, likes, dislikes, voters, notification)
VALUES (3, 11, NULL, 1556964000.0, NULL, 1, '203.0.113.0', 'On a page without a uri.', 'Hal', 'hal@example.org', NULL, 0, 0, X'00', 0);
-- Anonymous: Isso lets readers leave name, e-mail and website out.
INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text, author, email, website, likes, dislikes, voters, notification)
VALUES (2, 12, NULL, 1557050400.0, NULL, 1, '203.0.113.0', 'Short and
sweet.

Two paragraphs.', NULL, NULL, NULL, 0, 0, X'00', 0);

-- A language a user chose with /language; it wins over the language_code Telegram reports.
ALTER TABLE clients ADD COLUMN language_override text CHECK (language_override IN ('ru', 'en'));
ALTER TABLE partners ADD COLUMN language_override text CHECK (language_override IN ('ru', 'en'));

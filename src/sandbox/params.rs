//! A Bot API call's parameters, however the client sent them: query string, JSON body, urlencoded form, or
//! multipart/form-data (teloxide's choice for `setWebhook` and for uploads such as `sendPhoto`'s `photo`).

use std::collections::HashMap;

use actix_web::HttpRequest;
use actix_web::web::Bytes;
use serde_json::{Map, Value};

/// An uploaded file part of a multipart call.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The part's `Content-Type`, `application/octet-stream` when it has none.
    pub content_type: String,
    pub bytes: Bytes,
}

/// The parameters of one call: text values (parsed as JSON where they are JSON, as Telegram does with
/// `reply_markup` sent as a string) and uploaded files by field name.
#[derive(Debug, Default)]
pub struct Params {
    pub values: Map<String, Value>,
    pub files: HashMap<String, Upload>,
}

fn value_of(text: String) -> Value {
    serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text))
}

impl Params {
    /// Query string, then the body merged over it (the body wins). A malformed multipart body yields the fields
    /// read before the fault, so the method answers with its own "field is missing" error, as Telegram would.
    pub async fn read(req: &HttpRequest, body: Bytes) -> Params {
        let mut out = Params::default();
        for (k, v) in form_urlencoded::parse(req.query_string().as_bytes()) {
            out.values.insert(k.into_owned(), value_of(v.into_owned()));
        }
        let content_type = req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if let Ok(boundary) = multer::parse_boundary(content_type) {
            out.read_multipart(body, boundary).await;
        } else if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&body) {
            out.values.extend(map);
        } else {
            for (k, v) in form_urlencoded::parse(&body) {
                out.values.insert(k.into_owned(), value_of(v.into_owned()));
            }
        }
        out
    }

    async fn read_multipart(&mut self, body: Bytes, boundary: String) {
        let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
        let mut multipart = multer::Multipart::new(stream, boundary);
        while let Ok(Some(field)) = multipart.next_field().await {
            let Some(name) = field.name().map(str::to_owned) else {
                continue;
            };
            if field.file_name().is_some() {
                let content_type = field.content_type().map_or_else(
                    || "application/octet-stream".to_owned(),
                    ToString::to_string,
                );
                if let Ok(bytes) = field.bytes().await {
                    self.files.insert(
                        name,
                        Upload {
                            content_type,
                            bytes,
                        },
                    );
                }
            } else if let Ok(text) = field.text().await {
                self.values.insert(name, value_of(text));
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    /// A string parameter; a number is taken as its digits (a form sends `text=1000`, which parses as JSON 1000).
    pub fn str(&self, key: &str) -> Option<String> {
        match self.values.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// An integer parameter, sent as a number or as a string of digits.
    pub fn i64(&self, key: &str) -> Option<i64> {
        match self.values.get(key)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A JSON-object parameter (`reply_markup`, `scope`, `menu_button`), sent as an object or as its JSON text.
    pub fn object(&self, key: &str) -> Option<Value> {
        match self.values.get(key)? {
            Value::String(s) => serde_json::from_str::<Value>(s)
                .ok()
                .filter(Value::is_object),
            v @ Value::Object(_) => Some(v.clone()),
            _ => None,
        }
    }
}

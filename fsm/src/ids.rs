//! Typed database ids, so a client id can never be passed where a partner id belongs.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// `clients.id`: not a Telegram id (a client enrolled by phone has none yet).
    ClientId
);
id_type!(
    /// `partners.id`.
    PartnerId
);
id_type!(
    /// `operations.id`: one ledger operation.
    OperationId
);

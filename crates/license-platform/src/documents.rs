//! License files: made by the document engine when first needed, kept in the file store, and
//! recorded only after their bytes are durable (so no record ever points at a missing or
//! half-written file); annotated copies for downloads.

use chrono::{Duration, NaiveDate};
use license_core::ports::{Annotation, PortError, StoredFile};
use license_core::{CallContext, License};
use sha2::Digest;

use crate::fault::Res;
use crate::platform::Platform;

/// The OFD format name.
pub(crate) const OFD: &str = "ofd";

/// SM3 of a file, hex (the digest recorded with it).
fn sm3_hex(bytes: &[u8]) -> String {
    hex::encode(sm3::Sm3::digest(bytes))
}

impl Platform {
    /// The license's signed OFD: from the file store, or made now and kept.
    pub(crate) async fn license_ofd(&self, l: &License) -> Res<Vec<u8>> {
        let id = l.identifier.to_string();
        if let Some(f) = self.ports.licenses.file(&id, OFD).await? {
            if let Some(bytes) = self.ports.files.get(&f.key).await? {
                return Ok(bytes);
            }
            tracing::warn!(identifier = %id, key = %f.key, "license file missing from the store; remaking it");
        }
        let bytes = self.ports.documents.issue(l).await?;
        // A key of its own: two calls may make a license's first file at once; the one whose
        // record lands first wins and the other removes its file, so the record's digest is
        // always that of the file it names.
        let key = format!(
            "licenses/{}/{}-v{}-{}.ofd",
            &digest_dir(&id),
            file_stem(&id),
            l.version,
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        self.ports.files.put(&key, &bytes).await?;
        let record = StoredFile {
            key,
            format: OFD.into(),
            sm3: sm3_hex(&bytes),
            size: bytes.len() as u64,
        };
        match self.ports.licenses.set_file(&id, &record).await {
            Ok(()) => Ok(bytes),
            // Someone else recorded it first: theirs is the file of record.
            Err(PortError::Conflict(_)) => {
                let theirs = match self.ports.licenses.file(&id, OFD).await? {
                    Some(f) => self.ports.files.get(&f.key).await?,
                    None => None,
                };
                match theirs {
                    Some(theirs) => {
                        self.ports.files.delete(&record.key).await?;
                        Ok(theirs)
                    }
                    // The file of record is gone (removed by hand?): serve the one just made.
                    None => Ok(bytes),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The last day an annotated copy is valid: the caller's date, else the default
    /// validity, never after the license's own end (API.md §6).
    pub(crate) fn copy_expiry(&self, l: &License, requested: Option<NaiveDate>) -> NaiveDate {
        let wanted = requested
            .unwrap_or_else(|| self.today() + Duration::days(self.config.copy_validity.num_days()));
        match l.validity.end {
            Some(end) if end < wanted => end,
            _ => wanted,
        }
    }

    /// An annotated copy of the license for this call.
    pub(crate) async fn annotated_copy(
        &self,
        l: &License,
        ctx: &CallContext,
        creator: &str,
        expires_on: NaiveDate,
    ) -> Res<Vec<u8>> {
        let ofd = self.license_ofd(l).await?;
        let annotation = Annotation {
            system_name: ctx.system_name.clone(),
            matter_name: ctx.matter_name.clone(),
            cause: ctx.copy_cause.clone(),
            creator: creator.to_owned(),
            made_at: self.now(),
            expires_on,
        };
        Ok(self.ports.documents.annotate(&ofd, &annotation).await?)
    }
}

/// A short folder name spreading files over directories.
fn digest_dir(id: &str) -> String {
    hex::encode(&sha2::Sha256::digest(id.as_bytes())[..1])
}

/// A file-store-safe stem of an identifier.
pub(crate) fn file_stem(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

package store_test

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/objstore/s3test"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

const objectThreshold = 1024

// eachObjectStore runs fn on both databases with each kind of shared
// store: a directory and a real S3 server (versitygw), a fresh prefix each.
func eachObjectStore(t *testing.T, fn func(t *testing.T, env *storetest.Env, s objstore.Store)) {
	t.Helper()
	t.Run("dir", func(t *testing.T) {
		storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
			s, err := objstore.Dir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			fn(t, env.WithAttachments(t, s, objectThreshold), s)
		})
	})
	t.Run("s3", func(t *testing.T) {
		srv := s3test.Start(t)
		storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
			s := objstore.Sub(srv.Open(t, string(env.Dialect)), "attachments")
			fn(t, env.WithAttachments(t, s, objectThreshold), s)
		})
	})
}

// bigFile is a file above the threshold with marker all through it.
func bigFile(marker string) []byte {
	return bytes.Repeat([]byte("PNG "+marker+" "), 2*objectThreshold/len(marker))
}

// questionWith submits the contact form about address with one photo.
func (fx inboxFixture) questionWith(t *testing.T, env *storetest.Env, marker, address string, photo []byte) string {
	t.Helper()
	pub := fx.forms["vraag"]
	return fx.stored(t, env, store.NewFormSubmission{FormKey: "vraag", FormVersion: pub.Version, RegisterVersion: pub.RegisterVersion,
		Answers: []byte(`{"name":{"value":"Naam ` + marker + `"},"topic":{"value":"street"}}`), Subject: address, Contact: address, Lang: "nl",
		Idempotency: "tok-" + marker, Receipt: "rc-" + marker,
		Attachments: []store.NewAttachment{{FieldKey: "photo", Name: marker + ".png", ContentType: "image/png",
			Data: photo, Scanner: "clamd test", ScannedAt: env.Clock.Now()}}})
}

func objectKeys(t *testing.T, s objstore.Store) []string {
	t.Helper()
	objs, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	return keys
}

// attachmentRow is what the database holds of a submission's one file.
func attachmentRow(t *testing.T, env *storetest.Env, submissionID string) (id string, data []byte, blobKey *string) {
	t.Helper()
	if err := env.Raw(t).QueryRow(`SELECT id, data, blob_key FROM attachments WHERE submission_id = $1`, submissionID).
		Scan(&id, &data, &blobKey); err != nil {
		t.Fatal(err)
	}
	return id, data, blobKey
}

// sweepNow sweeps every orphan object, however young.
func sweepNow(t *testing.T, env *storetest.Env) int {
	t.Helper()
	n, err := env.DB.SweepAttachmentObjects(ctx, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// sweptTo sweeps every orphan object and checks that it deleted swept
// objects and left exactly left.
func sweptTo(t *testing.T, env *storetest.Env, s objstore.Store, swept int, left ...string) {
	t.Helper()
	if n := sweepNow(t, env); n != swept {
		t.Fatalf("swept %d objects, want %d", n, swept)
	}
	if keys := objectKeys(t, s); !slices.Equal(keys, left) {
		t.Fatalf("objects after the sweep: %v, want %v", keys, left)
	}
}

// TestClauseSEC2_LargeAttachmentSealedInObjectStore: with a shared store,
// a file above the threshold is sealed as before but its sealed bytes are
// in the store under a key of ids only, with no plaintext there and none
// left in the row; it opens through the inbox download, audited; a small
// file stays in the database. An object no row names is swept once older
// than the grace period, not before.
func TestClauseSEC2_LargeAttachmentSealedInObjectStore(t *testing.T) {
	eachObjectStore(t, func(t *testing.T, env *storetest.Env, s objstore.Store) {
		fx := newInboxFixture(t, env, "gent")
		big := bigFile("MARKER-BIG-7c2")
		large := fx.questionWith(t, env, "MARKER-BIG-7c2", "groot@example.be", big)
		small := fx.questionWith(t, env, "MARKER-SMALL-7c2", "klein@example.be", []byte("PNG MARKER-SMALL-7c2"))

		id, data, blobKey := attachmentRow(t, env, large)
		if blobKey == nil || *blobKey != fx.tn.ID+"/"+id || len(data) != 0 {
			t.Fatalf("large file row: blob_key %v, %d bytes in data", blobKey, len(data))
		}
		if keys := objectKeys(t, s); len(keys) != 1 || keys[0] != *blobKey {
			t.Fatalf("objects: %v", keys)
		}
		r, err := s.Get(ctx, *blobKey)
		if err != nil {
			t.Fatal(err)
		}
		sealed, _ := io.ReadAll(r)
		r.Close()
		if len(sealed) <= len(big) || bytes.Contains(sealed, []byte("MARKER")) {
			t.Fatalf("object is not the sealed file (%d bytes, plaintext %v)", len(sealed), bytes.Contains(sealed, []byte("MARKER")))
		}
		sid, sdata, sblob := attachmentRow(t, env, small)
		if sblob != nil || len(sdata) == 0 || bytes.Contains(sdata, []byte("MARKER")) {
			t.Fatalf("small file row: blob_key %v, %d bytes", sblob, len(sdata))
		}

		viewer := store.UserViewer(fx.other.ID)
		att, err := env.DB.OpenAttachment(ctx, fx.otherAct, fx.tn.ID, viewer, large, id, "handling")
		if err != nil || !bytes.Equal(att.Data, big) || att.Name != "MARKER-BIG-7c2.png" {
			t.Fatalf("open large: %v (%d bytes)", err, len(att.Data))
		}
		if ev := lastEvent(t, env, fx.tn.ID); ev.Action != "attachment.read" || ev.ObjectID != id || ev.Outcome == audit.OutcomeFailure {
			t.Fatalf("large read event: %+v", ev)
		}
		if att, err := env.DB.OpenAttachment(ctx, fx.otherAct, fx.tn.ID, viewer, small, sid, "handling"); err != nil ||
			string(att.Data) != "PNG MARKER-SMALL-7c2" {
			t.Fatalf("open small: %v", err)
		}
		// Without a grant: refused and recorded, the object never opened.
		if _, err := env.DB.OpenAttachment(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), large, id, "handling"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("open without a grant: %v", err)
		}

		// An object whose intake never committed: kept while young,
		// swept once older than the grace period.
		if err := s.Put(ctx, fx.tn.ID+"/orphan", strings.NewReader("sealed"), 6); err != nil {
			t.Fatal(err)
		}
		if n, err := env.DB.SweepAttachmentObjects(ctx, time.Now().Add(-store.AttachmentObjectGrace)); err != nil || n != 0 {
			t.Fatalf("young orphan swept: %d %v", n, err)
		}
		sweptTo(t, env, s, 1, *blobKey)
	})
}

// TestClauseSEC1_ExpiredAttachmentLeavesTheObjectStore: retention deletes
// a large file's row when its category's period ends; the sweep then
// deletes its object, and the younger file's stays.
func TestClauseSEC1_ExpiredAttachmentLeavesTheObjectStore(t *testing.T) {
	eachObjectStore(t, func(t *testing.T, env *storetest.Env, s objstore.Store) {
		fx := retentionFixture(t, env, "gent", register.ExpiryAnonymise)
		old := fx.questionWith(t, env, "MARKER-OLD-7c2", "oud@example.be", bigFile("MARKER-OLD-7c2"))
		env.Clock.Advance(5 * day)
		young := fx.questionWith(t, env, "MARKER-NEW-7c2", "nieuw@example.be", bigFile("MARKER-NEW-7c2"))
		_, _, youngKey := attachmentRow(t, env, young)
		if keys := objectKeys(t, s); len(keys) != 2 {
			t.Fatalf("objects: %v", keys)
		}
		env.Clock.Advance(5 * day)
		rep := runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if countOf(rep, "attachments", "delete") != 1 || attachmentCount(t, env, old) != 0 {
			t.Fatalf("retention: %+v", rep.Counts)
		}
		sweptTo(t, env, s, 1, *youngKey)
	})
}

// TestClauseDSR1_ErasedAttachmentLeavesTheObjectStore: an executed
// erasure deletes the person's submission with its large file; the sweep
// then deletes the object.
func TestClauseDSR1_ErasedAttachmentLeavesTheObjectStore(t *testing.T) {
	eachObjectStore(t, func(t *testing.T, env *storetest.Env, s objstore.Store) {
		fx := newInboxFixture(t, env, "gent")
		fx.questionWith(t, env, "MARKER-AN-7c2", anAddress, bigFile("MARKER-AN-7c2"))
		if keys := objectKeys(t, s); len(keys) != 1 {
			t.Fatalf("objects: %v", keys)
		}
		r := fileRequest(t, env, fx.tn.ID, dsrClerk, dsr.Erasure, anPeeters)
		if err := env.DB.DecideSubjectRequest(ctx, dsrDPO, fx.tn.ID, r.ID, true, "Identiteit gecontroleerd"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ExecuteSubjectRequest(ctx, dsrDPO, fx.tn.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		sweptTo(t, env, s, 1)
	})
}

// TestClauseSEC2_WithoutSharedStorageAttachmentsStayInTheDatabase: without
// KLUIS_STORAGE a large file is sealed in its row as before, and the sweep
// does nothing.
func TestClauseSEC2_WithoutSharedStorageAttachmentsStayInTheDatabase(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		big := bigFile("MARKER-BIG-7c2")
		id := fx.questionWith(t, env, "MARKER-BIG-7c2", "groot@example.be", big)
		aid, data, blobKey := attachmentRow(t, env, id)
		if blobKey != nil || len(data) <= len(big) || bytes.Contains(data, []byte("MARKER")) {
			t.Fatalf("row: blob_key %v, %d bytes", blobKey, len(data))
		}
		att, err := env.DB.OpenAttachment(ctx, fx.otherAct, fx.tn.ID, store.UserViewer(fx.other.ID), id, aid, "handling")
		if err != nil || !bytes.Equal(att.Data, big) {
			t.Fatalf("open: %v", err)
		}
		if n := sweepNow(t, env); n != 0 {
			t.Fatalf("swept %d without a store", n)
		}
	})
}

// TestClauseEND3_TenantExportHoldsFilesFromTheObjectStore: the full
// export reads a large file's sealed bytes from the object store and
// hands over the file as uploaded, beside the small one from the
// database; where the instance kept it (blob_key) is not exported.
func TestClauseEND3_TenantExportHoldsFilesFromTheObjectStore(t *testing.T) {
	eachObjectStore(t, func(t *testing.T, env *storetest.Env, s objstore.Store) {
		fx := newInboxFixture(t, env, "gent")
		big := bigFile("MARKER-BIG-7c2")
		large := fx.questionWith(t, env, "MARKER-BIG-7c2", "groot@example.be", big)
		fx.questionWith(t, env, "MARKER-SMALL-7c2", "klein@example.be", []byte("PNG MARKER-SMALL-7c2"))
		largeID, _, _ := attachmentRow(t, env, large)

		var e store.TenantEntity
		for _, x := range store.TenantEntities {
			if x.Name == "attachments" {
				e = x
			}
		}
		cols, err := env.DB.TenantEntityColumns(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			if c.Name == "blob_key" {
				t.Fatal("blob_key is exported")
			}
		}
		run, err := env.DB.StartTenantExport(ctx, clerk("admin"), fx.tn.ID, "end of contract")
		if err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{}
		if _, _, err := env.DB.ReadTenantEntity(ctx, run, e, cols, nil, 100, func(r store.Row) error {
			if _, ok := r["blob_key"]; ok {
				t.Error("blob_key in an exported row")
			}
			data, _ := r["data"].([]byte)
			files[r["id"].(string)] = data
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(files) != 2 || !bytes.Equal(files[largeID], big) {
			t.Fatalf("exported files: %d, large file %d bytes", len(files), len(files[largeID]))
		}
		for id, data := range files {
			if id != largeID && string(data) != "PNG MARKER-SMALL-7c2" {
				t.Fatalf("small file: %q", data)
			}
		}
	})
}

// TestClauseDSR1_PackageHoldsFilesFromTheObjectStore: an access package
// holds a large file from the object store as uploaded, fetched before
// the transaction that builds it, beside a small one from the database.
func TestClauseDSR1_PackageHoldsFilesFromTheObjectStore(t *testing.T) {
	eachObjectStore(t, func(t *testing.T, env *storetest.Env, s objstore.Store) {
		fx := newInboxFixture(t, env, "gent")
		big := bigFile("MARKER-AN-7c2")
		fx.questionWith(t, env, "MARKER-AN-7c2", anAddress, big)
		fx.questionWith(t, env, "MARKER-AN2-7c2", anAddress, []byte("PNG MARKER-AN2-7c2"))
		r := citizenAccess(t, env, fx, "nl", true)
		token := executeWithLink(t, env, fx.tn.ID, r.ID, "nl")
		b, _, err := env.DB.DownloadSubjectPackage(ctx, fx.tn.ID, token, packageCode(t, env, fx, token, "nl"))
		if err != nil {
			t.Fatal(err)
		}
		var large, small bool
		for name, data := range zipEntries(t, b) {
			large = large || strings.HasSuffix(name, "MARKER-AN-7c2.png") && bytes.Equal(data, big)
			small = small || strings.HasSuffix(name, "MARKER-AN2-7c2.png") && string(data) == "PNG MARKER-AN2-7c2"
		}
		if !large || !small {
			t.Fatalf("package files: large %v, small %v", large, small)
		}
	})
}

// TestClauseDSR1_KeptFileReSealedOnErasure: with per-person keys, an
// erasure keeps what the law keeps re-sealed with the tenant key — a
// large file too, whose sealed bytes come from the object store before
// the transaction and, re-sealed, move into its row; the old object,
// sealed with the destroyed key, is swept.
func TestClauseDSR1_KeptFileReSealedOnErasure(t *testing.T) {
	eachObjectStore(t, func(t *testing.T, env *storetest.Env, s objstore.Store) {
		env = env.WithAttachments(t, s, 8) // the fixture's certificate is larger
		fx, mine, _ := personOnThreeForms(t, env, personKeysOn(t, env))
		aid, _, blobKey := attachmentRow(t, env, mine[1])
		if blobKey == nil {
			t.Fatal("the certificate is not in the object store")
		}
		erase(t, env, fx.tn.ID, anPeeters)
		_, data, blobKey := attachmentRow(t, env, mine[1])
		if blobKey != nil || len(data) == 0 {
			t.Fatalf("kept file after erasure: blob_key %v, %d bytes", blobKey, len(data))
		}
		att, err := env.DB.OpenAttachment(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), mine[1], aid, "handling")
		if err != nil || string(att.Data) != "%PDF-1.4 mine-toelage" {
			t.Fatalf("open the kept file: %v", err)
		}
		sweptTo(t, env, s, 1)
	})
}

// TestClauseSEC2_IntakeLeavesNoObjectItDidNotStore: a form posted twice
// stores one object; a post refused (the form changed since the page was
// shown) leaves none behind. A file whose object is gone (a database
// restored without its bucket) opens as unreadable, recorded, never as an
// empty file.
func TestClauseSEC2_IntakeLeavesNoObjectItDidNotStore(t *testing.T) {
	eachObjectStore(t, func(t *testing.T, env *storetest.Env, s objstore.Store) {
		fx := newInboxFixture(t, env, "gent")
		pub := fx.forms["vraag"]
		in := store.NewFormSubmission{FormKey: "vraag", FormVersion: pub.Version, RegisterVersion: pub.RegisterVersion,
			Answers: []byte(`{"name":{"value":"Naam"}}`), Subject: "twee@example.be", Idempotency: "tok-twice", Receipt: "rc-twice",
			Attachments: []store.NewAttachment{{FieldKey: "photo", Name: "foto.png", ContentType: "image/png",
				Data: bigFile("MARKER-TWICE-7c2"), Scanner: "clamd test", ScannedAt: env.Clock.Now()}}}
		citizen := audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}
		if _, created, err := env.DB.SubmitForm(ctx, citizen, fx.tn.ID, in); err != nil || !created {
			t.Fatalf("first post: %v %v", created, err)
		}
		if _, created, err := env.DB.SubmitForm(ctx, citizen, fx.tn.ID, in); err != nil || created {
			t.Fatalf("second post: %v %v", created, err)
		}
		keys := objectKeys(t, s)
		if len(keys) != 1 {
			t.Fatalf("objects after a double post: %v", keys)
		}
		stale := in
		stale.FormVersion, stale.Idempotency, stale.Receipt = pub.Version+1, "tok-stale", "rc-stale"
		if _, _, err := env.DB.SubmitForm(ctx, citizen, fx.tn.ID, stale); !errors.Is(err, store.ErrFormChanged) {
			t.Fatalf("stale form: %v", err)
		}
		if after := objectKeys(t, s); len(after) != 1 || after[0] != keys[0] {
			t.Fatalf("objects after a refused post: %v", after)
		}

		if err := s.Delete(ctx, keys[0]); err != nil {
			t.Fatal(err)
		}
		var subID, aid string
		if err := env.Raw(t).QueryRow(`SELECT submission_id, id FROM attachments WHERE blob_key = $1`, keys[0]).Scan(&subID, &aid); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.OpenAttachment(ctx, fx.otherAct, fx.tn.ID, store.UserViewer(fx.other.ID), subID, aid, "handling"); !errors.Is(err, store.ErrUnreadable) {
			t.Fatalf("open a file whose object is gone: %v", err)
		}
		if ev := lastEvent(t, env, fx.tn.ID); ev.Action != "attachment.read" || ev.Outcome != audit.OutcomeFailure {
			t.Fatalf("unreadable read recorded as %+v", ev)
		}
	})
}

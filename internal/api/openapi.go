package api

import (
	_ "embed"
	"net/http"
)

// openAPIDocument is the OpenAPI 3.1 description of the API, kept by hand.
// TestOpenAPIDocumentsEveryRoute proves it names every route and nothing
// else; TestOpenAPIOperationsAnswerAsDocumented calls each operation.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPIShow serves the document; it is public.
func (a *API) openAPIShow(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPIDocument)
}

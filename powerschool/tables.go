package powerschool

// TablesService covers the table API, /ws/schema/table.
type TablesService struct{ c *Client }

package powerschool

type SchoolsService struct{ c *Client }
type StudentsService struct{ c *Client }
type StaffService struct{ c *Client }
type SectionsService struct{ c *Client }
type SectionEnrollmentsService struct{ c *Client }
type CoursesService struct{ c *Client }
type TermsService struct{ c *Client }
type TablesService struct{ c *Client }
